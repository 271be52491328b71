"""What each kind of process holds open while it runs (entrypoints.wiring.lifetimes): the API
its own pool and the Kafka clients it may connect, the worker its pool, its dead-letter
producer and the end offsets, a server its change feed, `run` all of it; each closed once at
the end. No database answers here: the pools open without waiting for one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import EVERY_KIND, ApiResource, WorkerResource, holding

pytestmark = pytest.mark.unit

NOBODY = "postgresql://nobody@127.0.0.1:1/none"  # refused at once


class Client:
    """A Kafka client of the container that counts its close()."""

    def __init__(self) -> None:
        self.closes = 0

    async def close(self) -> None:
        self.closes += 1


class Feed:
    """The change feed: started, stopped, and whether the API's pool was open at its stop."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self.starts = self.stops = 0
        self.pool_open_at_stop: bool | None = None

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        self.stops += 1
        await asyncio.sleep(0.05)  # as the real one awaits its task's end
        self.pool_open_at_stop = not self._container.infrastructure.api_pool().closed


class Held:
    def __init__(self, container: Container) -> None:
        self.end_offsets, self.redrive_sender, self.dead_letters = Client(), Client(), Client()
        self.feed = Feed(container)
        container.infrastructure.end_offsets.override(providers.Object(self.end_offsets))
        container.ops.redrive_sender.override(providers.Object(self.redrive_sender))
        container.write_side.dead_letters.override(providers.Object(self.dead_letters))
        container.read_side.change_feed.override(providers.Object(self.feed))

    def closes(self) -> dict[str, int]:
        return {
            "end_offsets": self.end_offsets.closes,
            "redrive_sender": self.redrive_sender.closes,
            "dead_letters": self.dead_letters.closes,
            "feed": self.feed.stops,
        }


def postgres_container() -> tuple[Container, Held]:
    container = build_container(
        Settings.from_env({}, dev_mode=True, backend="postgres", database_url=NOBODY)
    )
    return container, Held(container)


def open_pools(container: Container) -> dict[str, bool]:
    infrastructure = container.infrastructure
    return {
        "api": not infrastructure.api_pool().closed,
        "worker": not infrastructure.postgres_pool().closed,
    }


NOTHING_CLOSED = {"end_offsets": 0, "redrive_sender": 0, "dead_letters": 0, "feed": 0}


async def test_an_api_process_holds_its_pool_and_its_kafka_clients_not_the_workers() -> None:
    container, held = postgres_container()

    async with holding(container, ApiResource):  # as `streamview rebuild` and `dlq` do
        pools = open_pools(container)
        closed_while_held = held.closes()

    assert pools == {"api": True, "worker": False}
    assert closed_while_held == NOTHING_CLOSED
    assert open_pools(container) == {"api": False, "worker": False}
    # No change feed without a server; no dead-letter producer without a worker.
    assert held.closes() == {"end_offsets": 1, "redrive_sender": 1, "dead_letters": 0, "feed": 0}
    assert held.feed.starts == 0


async def test_a_worker_process_holds_its_pool_its_dead_letters_and_the_end_offsets() -> None:
    container, held = postgres_container()

    async with holding(container, WorkerResource):
        pools = open_pools(container)
        closed_while_held = held.closes()

    assert pools == {"api": False, "worker": True}
    assert closed_while_held == NOTHING_CLOSED
    assert open_pools(container) == {"api": False, "worker": False}
    assert held.closes() == {"end_offsets": 1, "redrive_sender": 0, "dead_letters": 1, "feed": 0}


async def test_every_kind_closes_each_client_once_and_the_feed_before_the_pools() -> None:
    container, held = postgres_container()

    async with holding(container):  # every kind, as `streamview run`
        pools = open_pools(container)

    assert pools == {"api": True, "worker": True}
    assert held.closes() == {"end_offsets": 1, "redrive_sender": 1, "dead_letters": 1, "feed": 1}
    assert held.feed.starts == 1
    assert held.feed.pool_open_at_stop is True


@pytest.mark.parametrize(
    ("worker_here", "worker_held"), [(False, False), (True, True)], ids=["serve", "run"]
)
async def test_the_apps_lifespan_holds_the_workers_side_only_with_a_worker_in_the_process(
    worker_here: bool, worker_held: bool
) -> None:
    container, held = postgres_container()
    app = create_app_from_container(container, worker_here=worker_here)

    async with AsyncTestClient(app):  # runs the lifespan
        pools = open_pools(container)
        closed_while_held = held.closes()
        feed_starts = held.feed.starts

    assert pools == {"api": True, "worker": worker_held}
    assert closed_while_held == NOTHING_CLOSED and feed_starts == 1
    assert open_pools(container) == {"api": False, "worker": False}
    assert held.closes() == {
        "end_offsets": 1,
        "redrive_sender": 1,
        "dead_letters": int(worker_held),
        "feed": 1,
    }
    assert held.feed.pool_open_at_stop is True


def test_every_resource_of_the_container_is_of_a_kind_a_process_holds() -> None:
    container, _ = postgres_container()
    resources: list[Any] = list(container.traverse(types=[providers.Resource]))

    assert resources
    assert [r for r in resources if not isinstance(r, EVERY_KIND)] == []


async def test_the_memory_backend_holds_nothing() -> None:
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    app = create_app_from_container(container)

    async with AsyncTestClient(app) as client:
        status = (await client.get("/health/ready")).status_code
        held = [r for r in container.traverse(types=[providers.Resource]) if r.initialized]

    assert status == 200
    assert held == []
