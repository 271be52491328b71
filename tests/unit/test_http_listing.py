"""The `GET /orders` suite over the in-memory store, plus what only a unit test can set up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.container import Container, build_container
from entrypoints.settings import Settings
from tests.contracts.http_listing import ListingSuite, assert_invalid
from tests.contracts.http_orders_data import dataset

pytestmark = pytest.mark.unit


class TestListingInMemory(ListingSuite):
    @pytest.fixture
    async def container(self) -> AsyncIterator[Container]:
        yield build_container(Settings.from_env({}, dev_mode=True, backend="memory"))


async def test_a_cursor_signed_by_another_server_is_400(listed_elsewhere):
    issued, other = listed_elsewhere
    cursor = (await issued.get("/orders", params={"pageSize": "1"})).json()["nextCursor"]
    assert_invalid(await other.get("/orders", params={"cursor": cursor}), "cursor")


@pytest.fixture
async def listed_elsewhere() -> AsyncIterator[tuple[AsyncTestClient, AsyncTestClient]]:
    clients = []
    for secret in ("one-secret", "another-secret"):
        container = build_container(
            Settings.from_env({}, dev_mode=True, backend="memory", cursor_secret=secret)
        )
        await container.project_batch()(dataset()[1])
        clients.append(AsyncTestClient(create_app_from_container(container)))
    async with clients[0] as first, clients[1] as second:
        yield first, second
