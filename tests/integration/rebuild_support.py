"""Shared by the rebuild's integration tests: `streamview run` in a subprocess, table dumps."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg

from adapters.kafka.offsets import KafkaEndOffsets
from entrypoints.settings import Settings
from tests.integration.worker_support import caught_up, worker_env
from tests.support.processes import STREAMVIEW

OPS_SECRET = "rebuild-tests-ops-secret-0123456789abcdef"
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def ops_headers() -> dict[str, str]:
    claims = {"sub": "tests", "roles": ["ops"], "exp": int(time.time()) + 3600}
    return {"Authorization": f"Bearer {jwt.encode(claims, OPS_SECRET, algorithm='HS256')}"}


class Service:
    """`streamview run` (API and worker in one process, as deployed), seen by a client."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30)
        self.ops = ops_headers()

    async def start_rebuild(self, mode: str = "blue-green") -> str:
        response = await self.http.post(f"/views/rebuild?mode={mode}", headers=self.ops)
        assert response.status_code == 202, response.text
        assert response.headers["location"] == f"/views/rebuild/{response.json()['rebuildId']}"
        return str(response.headers["location"])

    async def rebuild_status(self, location: str) -> dict[str, Any]:
        response = await self.http.get(location, headers=self.ops)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def rebuild_until(
        self, location: str, done: Callable[[dict[str, Any]], bool], seconds: float = 180
    ) -> dict[str, Any]:
        """Poll the rebuild's status until `done` holds (errors while the database is away
        are waited out too)."""
        async with asyncio.timeout(seconds):
            while True:
                try:
                    status = await self.rebuild_status(location)
                    if done(status):
                        return status
                except (AssertionError, httpx.TransportError):
                    pass
                await asyncio.sleep(0.05)

    async def caught_up(self, seconds: float = 180) -> dict[int, int]:
        """Wait until the worker's stored positions are the topic's end offsets."""
        s = self.settings
        offsets = KafkaEndOffsets(s.kafka_bootstrap)
        try:
            ends = await offsets.end_offsets(s.topic)
        finally:
            await offsets.close()
        await caught_up(s.database_url, s.consumer_group, s.topic, ends, seconds=seconds)
        return ends


@asynccontextmanager
async def streamview_run(settings: Settings, log: Path) -> AsyncIterator[Service]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*STREAMVIEW, "run"], env=worker_env(settings), stdout=out, stderr=out
        )
    service = Service(settings, log)
    try:
        async with asyncio.timeout(60):
            while True:
                assert process.poll() is None, log.read_text()[-5000:]
                try:
                    if (await service.http.get("/health/live")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield service
    finally:
        await service.http.aclose()
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def content(url: str, orders_like: str = "%") -> dict[str, list[tuple[Any, ...]]]:
    """The view tables without the columns that only say when a row was written, for the
    orders whose id is LIKE `orders_like`; the positions of every consumer group."""
    queries = {
        "orders": "SELECT * FROM orders_view WHERE order_id LIKE %s ORDER BY order_id",
        "lines": "SELECT * FROM order_items_view WHERE order_id LIKE %s ORDER BY 1, 2",
        "stash": "SELECT order_id, sequence, envelope FROM order_stash WHERE order_id LIKE %s"
        " ORDER BY 1, 2",
    }
    async with await psycopg.AsyncConnection.connect(url) as conn:
        dumped = {
            name: await (await conn.execute(query, (orders_like,))).fetchall()  # type: ignore[arg-type]
            for name, query in queries.items()
        }
        dumped["positions"] = await (
            await conn.execute(
                "SELECT consumer_group, topic, partition, next_offset FROM consumer_positions"
                " ORDER BY 1, 2, 3"
            )
        ).fetchall()
    # projected_at, the last column of orders_view, is the one a rebuild may change
    dumped["orders"] = [row[:-1] for row in dumped["orders"]]
    return dumped


async def leftover_shadow_tables(url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE '%%\\_shadow' ORDER BY 1"
        )
        return [name for (name,) in await cursor.fetchall()]
