"""A rebuild end to end in STREAMVIEW_BACKEND=memory: the container that bootstrap builds, the
API's rebuild endpoints, the demo's live worker and rebuild watcher, the in-memory adapters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.memory.topic import MemoryTopic
from application.ports import BatchWrite, ProjectionTransaction
from devtools.generator import GeneratorOptions
from devtools.memory_demo import memory_pipeline
from domain.batch import BatchResult, apply_batch
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.contracts.view_store_data import created
from tests.support.events import item, order_created, record
from tests.unit.rebuild_harness import dump, reference

pytestmark = pytest.mark.unit

SECRET = "in-memory-rebuild-ops-secret-0123456789"
BACKSTOP_SECONDS = 60  # not a speed target: a rebuild that never ends fails the test
OPS = {
    "Authorization": "Bearer "
    + jwt.encode(
        {"sub": "tests", "roles": ["ops"], "exp": int(time.time()) + 3600}, SECRET, "HS256"
    )
}


class Demo:
    """`streamview demo --in-memory` without the HTTP server: the API app with the demo's
    pipeline (topic, live worker, rebuild watcher) in its lifespan."""

    def __init__(self) -> None:
        self.container: Container = build_container(
            Settings.from_env({}, dev_mode=True, backend="memory", ops_jwt_secret=SECRET)
        )
        options = GeneratorOptions(
            orders=150, duplicate_fraction=0.05, reorder_fraction=0.05, poison_fraction=0.02
        )

        def pipeline(_app: Litestar) -> AbstractAsyncContextManager[MemoryTopic]:
            return memory_pipeline(self.container, options)

        self.app = create_app_from_container(self.container, lifespan=[pipeline])

    @property
    def topic(self) -> MemoryTopic:
        topic = self.container.infrastructure.end_offsets()  # the pipeline's topic
        assert isinstance(topic, MemoryTopic)
        return topic

    async def caught_up(self) -> None:
        store, group = (
            self.container.write_side.view_store(),
            self.container.config.consumer_group(),
        )
        async with asyncio.timeout(BACKSTOP_SECONDS):
            while True:
                ends = await self.topic.end_offsets(self.topic.name)
                if sum(ends.values()) > 0 and await store.positions(group, self.topic.name) == ends:
                    return
                await asyncio.sleep(0.02)


@pytest.fixture
async def demo() -> AsyncIterator[tuple[Demo, AsyncTestClient[Litestar]]]:
    demo = Demo()
    async with AsyncTestClient(demo.app) as client:
        await demo.caught_up()
        yield demo, client


async def plant_a_ghost(demo: Demo) -> None:
    """An order in the live views that no record on the topic made: a rebuild removes it."""
    ghost = [created("ghost", 3, "1.00", "0")]

    async def work(tx: ProjectionTransaction) -> BatchResult:
        result = apply_batch(await tx.load({"ghost"}), ghost)
        await tx.save(BatchWrite("someone-else", result, ()))
        return result

    await demo.container.write_side.view_store().in_transaction(work)


async def rebuilt(client: AsyncTestClient[Litestar], mode: str) -> dict[str, Any]:
    started = await client.post(f"/views/rebuild?mode={mode}", headers=OPS)
    assert started.status_code == 202, started.text
    async with asyncio.timeout(BACKSTOP_SECONDS):
        while True:
            status = await client.get(started.headers["location"], headers=OPS)
            assert status.status_code == 200, status.text
            if status.json()["state"] not in {"RUNNING", "SWAPPING"}:
                return dict(status.json())
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["blue-green", "inplace"])
async def test_a_rebuild_through_the_api_reproduces_the_views_of_the_topic(
    demo: tuple[Demo, AsyncTestClient[Litestar]], mode: str
) -> None:
    demo_, client = demo
    store = demo_.container.write_side.view_store()
    expected, _ = await reference(demo_.topic)
    assert await dump(store) == await dump(expected)
    await plant_a_ghost(demo_)
    assert (await client.get("/orders/ghost")).status_code == 200

    final = await rebuilt(client, mode)

    assert (final["state"], final["error"], final["progress"]) == ("SUCCEEDED", None, 100.0)
    assert final["eventsReplayed"] == sum((await demo_.topic.end_offsets("orders.events")).values())
    assert (await client.get("/orders/ghost")).status_code == 404
    assert await dump(store) == await dump(expected)
    # The live worker goes on from where the rebuild left the views: new events land.
    new = record(order_created("after-rebuild", items=[item(qty=2, price="4.50", tax_rate="0.23")]))
    demo_.topic.append(new.key or b"", new.value or b"", new.headers)
    await demo_.caught_up()
    after = (await client.get("/orders/after-rebuild")).json()
    assert (after["totalNet"], after["totalGross"], after["lineCount"]) == ("9.00", "11.07", 1)
    lags = await client.get("/lags", headers=OPS)
    assert (lags.json()["state"], lags.json()["totalLag"]) == ("RUNNING", 0)
