"""`streamview serve` has no worker of its own: its /lags reports the state that the group's
workers (`streamview consume`, another process) record in PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.integration.rebuild_support import OPS_SECRET, ops_headers
from tests.integration.worker_support import eventually, migrated, worker_env, worker_settings
from tests.support.processes import STREAMVIEW, free_port


@contextmanager
def started(command: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen([*STREAMVIEW, command], env=env, stdout=out, stderr=out)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_serve_reports_starting_then_the_workers_running_then_stopped(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str, tmp_path: Path
) -> None:
    await migrated(database_url)
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, new_topic(), group_id,
        http_host="127.0.0.1", http_port=free_port(), metrics_port=free_port(),
        ops_jwt_secret=OPS_SECRET,
    )  # fmt: skip
    env = worker_env(settings)
    base = f"http://127.0.0.1:{settings.http_port}"
    async with httpx.AsyncClient(base_url=base, headers=ops_headers(), timeout=10) as http:

        async def state() -> str:
            return str((await http.get("/lags")).json()["state"])

        async def state_is(wanted: str) -> bool:
            try:
                return await state() == wanted
            except httpx.TransportError:  # not listening yet
                return False

        with started("serve", env, tmp_path / "serve.log"):
            await eventually(lambda: state_is("STARTING"), "serve to answer, no worker yet", 60)

            with started("consume", env, tmp_path / "consume.log") as worker:
                await eventually(lambda: state_is("RUNNING"), "the worker's RUNNING", 60)
                worker.send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(worker.wait, 60) == 0

            assert await state() == "STOPPED"  # recorded on the way out, not left to go stale
