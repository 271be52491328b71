"""What each kind of process holds open while it runs (entrypoints.wiring.lifetimes): the API
its own pool and the Kafka clients it may connect, the worker its pool, `run` both; all of it
closed at the end. No database answers here: the pools open without waiting for one."""

from __future__ import annotations

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import ApiResource, WorkerResource, holding

pytestmark = pytest.mark.unit

NOBODY = "postgresql://nobody@127.0.0.1:1/none"  # refused at once


class Client:
    """A Kafka client of the container that records its close()."""

    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def postgres_container() -> tuple[Container, Client, Client]:
    container = build_container(
        Settings.from_env({}, dev_mode=True, backend="postgres", database_url=NOBODY)
    )
    end_offsets, redrive_sender = Client(), Client()
    container.infrastructure.end_offsets.override(providers.Object(end_offsets))
    container.ops.redrive_sender.override(providers.Object(redrive_sender))
    return container, end_offsets, redrive_sender


def open_pools(container: Container) -> dict[str, bool]:
    infrastructure = container.infrastructure
    return {
        "api": not infrastructure.api_pool().closed,
        "worker": not infrastructure.postgres_pool().closed,
    }


async def test_an_api_process_holds_its_pool_and_its_kafka_clients_not_the_workers_pool() -> None:
    container, end_offsets, redrive_sender = postgres_container()

    async with holding(container, ApiResource):
        held = open_pools(container)
        closed_while_held = (end_offsets.closed, redrive_sender.closed)

    assert held == {"api": True, "worker": False}
    assert closed_while_held == (False, False)
    assert open_pools(container) == {"api": False, "worker": False}
    assert (end_offsets.closed, redrive_sender.closed) == (True, True)


async def test_a_worker_process_holds_only_the_workers_pool() -> None:
    container, end_offsets, redrive_sender = postgres_container()

    async with holding(container, WorkerResource):
        held = open_pools(container)

    assert held == {"api": False, "worker": True}
    assert open_pools(container) == {"api": False, "worker": False}
    assert (end_offsets.closed, redrive_sender.closed) == (False, False)  # the worker's own


@pytest.mark.parametrize(
    ("worker_here", "worker_pool_held"), [(False, False), (True, True)], ids=["serve", "run"]
)
async def test_the_apps_lifespan_holds_the_workers_pool_only_with_a_worker_in_the_process(
    worker_here: bool, worker_pool_held: bool
) -> None:
    container, end_offsets, _ = postgres_container()
    app = create_app_from_container(container, worker_here=worker_here)

    async with AsyncTestClient(app):  # runs the lifespan
        held = open_pools(container)

    assert held == {"api": True, "worker": worker_pool_held}
    assert open_pools(container) == {"api": False, "worker": False}
    assert end_offsets.closed


async def test_the_memory_backend_holds_nothing() -> None:
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    app = create_app_from_container(container)

    async with AsyncTestClient(app) as client:
        status = (await client.get("/health/ready")).status_code
        held = [r for r in container.traverse(types=[providers.Resource]) if r.initialized]

    assert status == 200
    assert held == []
