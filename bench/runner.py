"""`python -m bench.runner [SCENARIO ...] [--quick]`: run benchmarks, print and keep the table.

Without --kafka-bootstrap/--database-url it starts the benchmark's own local stack (Kafka and
PostgreSQL on ports 29092/25432, see bench/stack.py) and stops it at the end. Each scenario
is bounded in time; one that fails is reported as failed and the next one still runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, report
from bench.context import BenchContext
from bench.scenarios import freshness, ingest, lists, live, memory, profile, reads, rebuild
from bench.sizes import FULL, QUICK, Sizes

SCENARIOS: dict[str, Callable[[BenchContext], Awaitable[dict]]] = {
    "ingest": ingest.run,
    "reads": reads.run,
    "lists": lists.run,
    "freshness": freshness.run,
    "live": live.run,
    "rebuild": rebuild.run,
    "memory": memory.run,
    "profile": profile.run,
}
# Memory is measured within ingest; rebuild goes last as it drops the cloned read orders.
ALL = ("ingest", "profile", "reads", "lists", "freshness", "live", "rebuild")
# In a source checkout the results are kept beside the benchmarks and the table in
# docs/benchmarks.md; from an installed package, in ./bench-results of the working directory.
IN_CHECKOUT = report.DOCS.is_file()
RESULTS_DIR = Path(__file__).parent / "results" if IN_CHECKOUT else Path("bench-results")


async def run_scenarios(
    ctx: BenchContext,
    names: list[str],
    limit_s: float,
    save: Callable[[dict[str, dict]], object] = lambda _: None,
) -> dict[str, dict]:
    """Each scenario in turn; `save` gets the results so far after each one, so that an
    interrupted run still leaves the figures it measured."""
    results: dict[str, dict] = {}
    for name in names:
        print(f"[bench] {name} ({ctx.sizes.name}) ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            results[name] = await asyncio.wait_for(SCENARIOS[name](ctx), limit_s)
        except Exception as error:  # reported in the table; the next scenario still runs
            detail = "".join(traceback.format_exception(error)[-3:])
            results[name] = {"error": f"{type(error).__name__}: {error}\n{detail}"}
        took = time.perf_counter() - started
        save(results)
        print(f"[bench] {name} done in {took:.0f} s", file=sys.stderr, flush=True)
    return results


def run(
    names: list[str],
    sizes: Sizes,
    kafka_bootstrap: str,
    admin_database_url: str,
    *,
    kafka_version: str | None = None,
    registry_url: str | None = None,
    results_dir: Path = RESULTS_DIR,
    command: str = "python -m bench.runner",
) -> dict:
    """Run the scenarios against a running stack; the results (also written as JSON)."""
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": sizes.name,
        "command": command,
        "machine": machine.describe(admin_database_url, kafka_version),
        "scenarios": {},
        # Others may share the machine: the 1-minute load average as each scenario ended.
        "load_after_scenario": {},
    }

    def save(scenarios: dict[str, dict]) -> None:
        results["scenarios"] = scenarios
        for name in scenarios:
            results["load_after_scenario"].setdefault(name, machine.load_average()[0])
        results["machine"]["load_average_after"] = machine.load_average()
        results["json_path"] = str(report.write_json(results, results_dir))

    with tempfile.TemporaryDirectory(prefix="streamview-bench-") as work_dir:
        ctx = BenchContext(kafka_bootstrap, admin_database_url, sizes, Path(work_dir))
        ctx.registry_url = registry_url
        limit = 1800.0 if sizes.name == "full" else 300.0
        try:
            save(asyncio.run(run_scenarios(ctx, names, limit, save)))
        finally:
            ctx.cleanup()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runner", description=__doc__)
    # A str default: argparse checks a nargs="*" default against `choices` as one value.
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke check)")
    parser.add_argument("--kafka-bootstrap", help="use this Kafka instead of the bench stack")
    parser.add_argument("--database-url", help="a superuser URL of the PostgreSQL to use")
    parser.add_argument(
        "--registry-url", help="the schema registry's Confluent API URL, with --kafka-bootstrap"
    )
    parser.add_argument("--keep-stack", action="store_true", help="leave the bench stack up")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-docs", action="store_true", help="do not update the docs table")
    parser.add_argument(
        "--from-json",
        type=Path,
        help="only print (and put in the docs) the table of a results file",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        return show(
            json.loads(args.from_json.read_text()), args.from_json, write_docs=not args.no_docs
        )
    asked = [args.scenarios] if isinstance(args.scenarios, str) else args.scenarios
    names = list(ALL) if "all" in asked else list(dict.fromkeys(asked))
    sizes = QUICK if args.quick else FULL
    command = " ".join(["python -m bench.runner", *asked, *(["--quick"] if args.quick else [])])

    stack = None
    kafka, database, kafka_version = args.kafka_bootstrap, args.database_url, None
    registry = args.registry_url
    if not (kafka and database):
        from bench.stack import bench_stack

        stack = bench_stack()
        up = stack.up()
        kafka, database = up.kafka_bootstrap, up.database_url
        registry = up.schema_registry_url
        kafka_version = stack.config.kafka_version
    try:
        results = run(
            names,
            sizes,
            kafka,
            database,
            kafka_version=kafka_version,
            registry_url=registry,
            results_dir=args.results_dir,
            command=command,
        )
    finally:
        if stack is not None and not args.keep_stack:
            stack.down(only=stack.started)
    return show(results, Path(results["json_path"]), write_docs=not (args.quick or args.no_docs))


def show(results: dict, json_path: Path, write_docs: bool) -> int:
    """Print the table; keep it in docs/benchmarks.md; exit status 1 if a scenario failed."""
    markdown = report.table(results)
    print(f"\n{markdown}\n\nMachine: {report.machine_line(results['machine'])}")
    print(f"Results: {json_path}")
    if write_docs and IN_CHECKOUT:
        report.update_docs(results, markdown)
    failed = [name for name, result in results["scenarios"].items() if "error" in result]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
