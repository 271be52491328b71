"""`streamview bench`: the benchmarks of docs/benchmarks.md (`bench.runner` of the checkout)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

_SCENARIOS = ("all", "ingest", "reads", "lists", "freshness", "rebuild", "memory", "profile")


def _checkout() -> Path:
    """The repository this editable install runs from: the benchmarks are not packaged."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "bench" / "runner.py").is_file():
            return parent
    raise click.ClickException("bench/ not found: run `streamview bench` from a source checkout")


@click.command("bench")
@click.argument("scenarios", nargs=-1, type=click.Choice(_SCENARIOS))
@click.option("--quick", is_flag=True, help="Small sizes: a smoke check, not figures.")
@click.option("--keep-stack", is_flag=True, help="Leave the benchmark's Kafka/PostgreSQL up.")
@click.option("--no-docs", is_flag=True, help="Do not rewrite the table in docs/benchmarks.md.")
def command(scenarios: tuple[str, ...], quick: bool, keep_stack: bool, no_docs: bool) -> None:
    """Measure ingest, reads, lists, freshness, rebuild and memory; print the table.

    \b
    Examples:
      streamview bench --quick            # every scenario, small, about 2 minutes
      streamview bench                    # the full figures (1M events), 15-20 minutes
      streamview bench reads lists        # only these (ingests first if needed)
    """
    root = _checkout()
    sys.path.insert(0, str(root))
    from bench.runner import main

    flags = [*(["--quick"] if quick else []), *(["--keep-stack"] if keep_stack else [])]
    flags += ["--no-docs"] if no_docs else []
    raise SystemExit(main([*(scenarios or ("all",)), *flags]))
