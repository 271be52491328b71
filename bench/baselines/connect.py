"""Baseline (c): Kafka Connect with a JDBC sink in upsert mode — only if Maven Central has one.

bench/connect/pom.xml names connect-runtime and Debezium's JDBC sink (Apache-2.0; Confluent's
JDBC connector is not published to Maven Central, and Aiven's Apache-2.0 fork is published
only as GitHub release archives). This step asks Maven to resolve it, bounded in time, and
records why the baseline was skipped when it does not resolve. On the registry this project
can reach, `io.debezium:debezium-connector-jdbc` is not served (checked 2026-11-28), so the
Connect run itself is not wired up: see docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bench.context import BenchContext

POM = Path(__file__).resolve().parents[1] / "connect" / "pom.xml"
RESOLVE_TIMEOUT_S = 300


async def resolution_problem() -> str | None:
    """None when every jar of the pom resolves, else Maven's reason in one line."""
    mvn = shutil.which("mvn")
    if mvn is None:
        return "no `mvn` on PATH"
    process = await asyncio.create_subprocess_exec(
        mvn,
        "-B",
        "-q",
        "-f",
        str(POM),
        "dependency:resolve",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), RESOLVE_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return f"Maven did not resolve {POM.name} within {RESOLVE_TIMEOUT_S} s"
    if process.returncode == 0:
        return None
    errors = [line for line in output.decode(errors="replace").splitlines() if "ERROR" in line]
    return errors[0].split("] ", 1)[-1][:300] if errors else "Maven failed without an error line"


async def run(ctx: BenchContext) -> dict:
    if not ctx.sizes.connect:
        return {"skipped": "not run at the quick size (a JVM start and a second topic)"}
    problem = await resolution_problem()
    if problem is not None:
        return {"skipped": f"JDBC sink connector not available from Maven Central: {problem}"}
    return {"skipped": "connector resolved, but the Connect run is not wired up yet"}
