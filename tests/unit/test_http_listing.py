"""The `GET /orders` suite over the in-memory store, plus what only a unit test can set up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.contracts.http_listing import ListingSuite, assert_invalid
from tests.contracts.http_orders_data import dataset
from tests.support.events import at, order_created, order_log

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
        await container.write_side.project_batch()(dataset()[1])
        clients.append(AsyncTestClient(create_app_from_container(container)))
    async with clients[0] as first, clients[1] as second:
        yield first, second


async def test_the_longest_cursor_the_server_issues_is_one_it_accepts():
    # 64 four-byte characters in the order id (the sort value too) and the customer id, every
    # status and both bounds: the most a cursor carries.
    customer, orders = "\U0001f600" * 64, ["\U0001f601" * 63 + c for c in "ab"]
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    for order_id in orders:
        created = order_created(order_id, customer_id=customer, occurred_at=at(1))
        await container.write_side.project_batch()(order_log(order_id, created=created))
    listing = [("status", s) for s in ("CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")]
    listing += [("customerId", customer), ("from", "2000-01-01T00:00:00.123456+02:00")]
    listing += [("to", "2999-01-01T00:00:00.123456+02:00"), ("sort", "-orderId")]
    async with AsyncTestClient(create_app_from_container(container)) as client:
        first = await client.get("/orders", params=[*listing, ("pageSize", "1")])
        cursor = first.json()["nextCursor"]
        second = await client.get("/orders", params={"cursor": cursor})

    assert len(cursor) > 1024
    assert second.status_code == 200, second.text
    assert [o["orderId"] for o in second.json()["items"]] == [orders[0]]
