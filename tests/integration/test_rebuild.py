"""Blue/green rebuilds through the whole pipeline: Kafka, `streamview run`, Postgres.

Sizes (2-core machine, under two minutes for the module): the read test replays 40,000
orders (about 204,000 records over 3 partitions); cancel and failure 30,000 orders (about
153,000 records: long enough that the cancel or the crash lands in the middle of the replay,
which a heartbeat a second reports); in-place 6,000 orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.tracing.null_spans import NullSpans
from application.projecting import ProjectBatch
from devtools.generator import GeneratorOptions, generate
from devtools.localstack.postgres import PostgresNode
from entrypoints.settings import Settings
from tests.integration.postgres_support import crash
from tests.integration.rebuild_support import (
    FINAL,
    OPS_SECRET,
    Service,
    content,
    leftover_shadow_tables,
    streamview_run,
)
from tests.integration.worker_support import (
    memory_views,
    migrated,
    produce,
    read_log,
    scraped,
    stored_views,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port

EVENT_TYPES = ("OrderCreated", "OrderItemAdded", "OrderStatusChanged")
VIEWS = ("orders", "lines", "stash")


def settings_for(stack_endpoints: Any, database_url: str, topic: str, group_id: str) -> Settings:
    return worker_settings(
        stack_endpoints.kafka_bootstrap,
        database_url,
        topic,
        group_id,
        http_host="127.0.0.1",
        http_port=free_port(),
        ops_jwt_secret=OPS_SECRET,
    )


def backlog(orders: int) -> Iterator[Any]:
    return generate(
        GeneratorOptions(
            orders=orders, duplicate_fraction=0.02, reorder_fraction=0.02, poison_fraction=0.002
        )
    )


@asynccontextmanager
async def loaded_service(
    settings: Settings, orders: int, log: Path
) -> AsyncIterator[tuple[Service, dict[str, Any]]]:
    """`streamview run` over a topic of `orders` histories, caught up; the views then."""
    await migrated(settings.database_url)
    await produce(settings.kafka_bootstrap, settings.topic, backlog(orders))
    async with streamview_run(settings, log) as service:
        await service.caught_up()
        yield service, await content(settings.database_url)


async def test_reads_are_served_throughout_and_events_produced_meanwhile_land_once(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str, tmp_path: Path
) -> None:
    settings = settings_for(stack_endpoints, database_url, new_topic(partitions=3), group_id)
    async with loaded_service(settings, 40_000, tmp_path / "run.log") as (service, before):
        http, base = service.http, str(service.http.base_url).rstrip("/")
        before = await content(settings.database_url, "ord-%")
        ids = random.Random(7).sample([row[0] for row in before["orders"]], 60)
        paths = [f"/orders/{order_id}" for order_id in ids]
        first_page = (await http.get("/orders?sort=orderId&pageSize=50")).json()
        paths += [
            "/orders?sort=orderId&pageSize=50",
            f"/orders?sort=orderId&pageSize=50&cursor={first_page['nextCursor']}",
        ]
        expected = {path: (await http.get(path)).json() for path in paths}
        counted = {name: await _counted(base, name) for name in ("duplicates", "events")}
        state = {"now": "NONE"}
        reads: Counter[tuple[str, int, bool]] = Counter()
        live_batches: Counter[str] = Counter()

        done = asyncio.Event()  # the loops below end on it, not by cancellation mid-call

        async def read_all_the_time() -> None:
            for path in itertools.cycle(paths):
                if done.is_set():
                    return
                seen = state["now"]
                response = await http.get(path)
                ok = response.status_code == 200 and response.json() == expected[path]
                reads["after" if seen == "SUCCEEDED" else "before", response.status_code, ok] += 1

        async def produce_new_orders() -> None:
            for n in itertools.count():
                # A seed of its own: the same seed would repeat the backlog's event ids.
                live = GeneratorOptions(
                    orders=20, order_prefix=f"xlive{n:04d}", seed=1000 + n, duplicate_fraction=0.05
                )
                await produce(settings.kafka_bootstrap, settings.topic, generate(live))
                live_batches[state["now"]] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 0.2)
                if done.is_set():
                    return

        readers = [asyncio.create_task(read_all_the_time()) for _ in range(2)]
        await asyncio.sleep(0.5)  # reads flow before the rebuild starts
        location = await service.start_rebuild()
        producer = asyncio.create_task(produce_new_orders())

        def track(status: dict[str, Any]) -> bool:
            state["now"] = status["state"]
            return status["state"] in FINAL

        final = await service.rebuild_until(location, track)
        await asyncio.sleep(1.0)  # reads and new orders after the swap too
        done.set()
        await asyncio.wait_for(asyncio.gather(*readers, producer), 60)
        ends = await service.caught_up()

        assert final["state"] == "SUCCEEDED", final
        targets = {int(p): n for p, n in final["targetOffsets"].items()}
        assert final["eventsReplayed"] >= sum(targets.values()) > 0
        assert final["progress"] == 100.0 and final["error"] is None
        assert all(targets[p] <= ends[p] for p in ends)
        # Every read got 200 and the pre-rebuild content, before and after the swap.
        assert {(when, status, ok) for when, status, ok in reads} == {
            ("before", 200, True),
            ("after", 200, True),
        }, reads
        assert live_batches["RUNNING"] > 0 and live_batches["SUCCEEDED"] > 0, live_batches
        # The orders of before, column for column (projected_at aside), and nothing else left.
        after = await content(settings.database_url, "ord-%")
        assert {k: after[k] for k in VIEWS} == {k: before[k] for k in VIEWS}
        assert after["positions"] == [
            (settings.consumer_group, settings.topic, p, n) for p, n in sorted(ends.items())
        ]
        assert await leftover_shadow_tables(settings.database_url) == []
        # The orders produced meanwhile: all there, each event applied once.
        records = await read_log(settings.kafka_bootstrap, settings.topic)
        live_records = [r for r in records if (r.key or b"").startswith(b"xlive")]
        store, metrics = MemoryViewStore(), MemoryMetrics()
        project = ProjectBatch(store, MemoryDeadLetters(), metrics, NullSpans(), "expected")
        await project(live_records)
        stored = await stored_views(settings.database_url)
        assert {k: v for k, v in stored.items() if k.startswith("xlive")} == await memory_views(
            store
        )
        assert await _counted(base, "duplicates") - counted["duplicates"] == metrics.duplicates
        assert await _counted(base, "events") - counted["events"] == sum(metrics.events.values())


async def _counted(base: str, name: str) -> float:
    if name == "events":
        return sum([await scraped(base, "streamview_events_total", type=t) for t in EVENT_TYPES])
    return await scraped(base, f"streamview_{name}_total")


async def test_cancel_leaves_the_live_views_and_the_next_rebuild_works(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str, tmp_path: Path
) -> None:
    settings = settings_for(stack_endpoints, database_url, new_topic(partitions=2), group_id)
    async with loaded_service(settings, 30_000, tmp_path / "run.log") as (service, before):
        location = await service.start_rebuild()
        await service.rebuild_until(location, lambda s: s["eventsReplayed"] > 0)
        second = await service.http.post("/ops/views/rebuild", headers=service.ops)
        assert second.status_code == 409, second.text

        cancelled = await service.http.delete(location, headers=service.ops)

        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["cancelRequested"] is True
        final = await service.rebuild_until(location, lambda s: s["state"] in FINAL)
        assert final["state"] == "CANCELLED", final
        assert await content(settings.database_url) == before
        assert await leftover_shadow_tables(settings.database_url) == []

        # The next one through the CLI, which follows it to the end.
        cli = await asyncio.to_thread(
            subprocess.run,
            [*STREAMVIEW, "rebuild", "--follow"],
            env=worker_env(settings),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert cli.returncode == 0, cli.stderr
        assert "SUCCEEDED" in cli.stdout
        assert await content(settings.database_url) == before


async def test_inplace_rebuild_stops_the_worker_replays_and_lets_it_go_on(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str, tmp_path: Path
) -> None:
    settings = settings_for(stack_endpoints, database_url, new_topic(partitions=2), group_id)
    async with loaded_service(settings, 6_000, tmp_path / "run.log") as (service, before):
        states: set[str] = set()

        def watch(status: dict[str, Any]) -> bool:
            return status["state"] in FINAL

        location = await service.start_rebuild("inplace")
        while not watch(status := await service.rebuild_status(location)):
            lags = await service.http.get("/lags", headers=service.ops)
            states.add(lags.json()["state"])
        assert status["state"] == "SUCCEEDED", status
        assert "REBUILDING" in states  # the live worker stood still meanwhile
        assert await content(database_url) == before

        # The worker goes on from the rewritten positions: new orders arrive, once.
        more = GeneratorOptions(orders=300, order_prefix="xmore", seed=99)
        await produce(settings.kafka_bootstrap, settings.topic, generate(more))
        await service.caught_up()
        after = await content(database_url, "ord-%")
        assert {k: after[k] for k in VIEWS} == {k: before[k] for k in VIEWS}
        assert len((await content(database_url, "xmore-%"))["orders"]) == 300
        lags = (await service.http.get("/lags", headers=service.ops)).json()
        assert (lags["state"], lags["totalLag"]) == ("RUNNING", 0)


async def test_postgres_killed_mid_rebuild_leaves_the_live_views_and_the_next_one_works(
    stack_endpoints: Any,
    disposable_postgres: PostgresNode,
    new_topic: Any,
    group_id: str,
    tmp_path: Path,
) -> None:
    url = disposable_postgres.config.database_url
    settings = settings_for(stack_endpoints, url, new_topic(partitions=2), group_id)
    async with loaded_service(settings, 30_000, tmp_path / "run.log") as (service, before):
        location = await service.start_rebuild()
        await service.rebuild_until(location, lambda s: s["eventsReplayed"] > 0)

        crash(disposable_postgres)
        await asyncio.sleep(1.0)
        disposable_postgres.start()  # crash recovery, then the worker reconnects

        final = await service.rebuild_until(location, lambda s: s["state"] in FINAL)
        assert final["state"] == "FAILED" and final["error"], final
        await service.caught_up()
        assert await content(url) == before

        again = await service.start_rebuild()
        final = await service.rebuild_until(again, lambda s: s["state"] in FINAL)
        assert final["state"] == "SUCCEEDED", final
        assert await content(url) == before
        assert await leftover_shadow_tables(url) == []
