"""`streamview bench`: the benchmarks of docs/benchmarks.md (the `bench` package, shipped in the
wheel beside `devtools`; from a checkout the figures also go into docs/benchmarks.md)."""

from __future__ import annotations

import click

_SCENARIOS = (
    "all",
    "ingest",
    "reads",
    "lists",
    "freshness",
    "live",
    "rebuild",
    "memory",
    "profile",
)


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
    from bench.runner import main  # packaged beside devtools; imported late: it is large

    flags = [*(["--quick"] if quick else []), *(["--keep-stack"] if keep_stack else [])]
    flags += ["--no-docs"] if no_docs else []
    raise SystemExit(main([*(scenarios or ("all",)), *flags]))
