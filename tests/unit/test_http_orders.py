"""`GET /orders/{orderId}`: the order with its lines, ETag and 304, and problem details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NoReturn

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from application.errors import Unavailable
from application.ports import ListQuery, OrderReader
from domain.records import RawRecord
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.support.events import (
    at,
    item,
    item_added,
    order_created,
    order_log,
    record,
    status_changed,
)

pytestmark = pytest.mark.unit

ORDER = "ord-1"
HISTORY = [
    order_created(
        ORDER,
        customer_id="cust-7",
        items=[
            item("i-1", "SKU-A", qty=2, price="10.00", tax_rate="0.23"),
            item("i-2", "SKU-B", qty=1, price="4.60"),
        ],
        occurred_at=at(0),
        event_id="e-1",
    ),
    item_added(
        ORDER,
        item_id="i-3",
        sku="SKU-C",
        qty=3,
        price=0.1,
        tax_rate="0.07",
        occurred_at="2026-11-28T12:20:00+02:00",
        event_id="e-2",
    ),
    status_changed(ORDER, "PAID", occurred_at=at(9), event_id="e-3"),
]


def memory_container() -> Container:
    return build_container(Settings.from_env({}, dev_mode=True, backend="memory"))


def history() -> list[RawRecord]:
    return order_log(ORDER, *HISTORY[1:], created=HISTORY[0])


@pytest.fixture
async def container() -> Container:
    container = memory_container()
    await container.write_side.project_batch()(history())
    return container


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app_from_container(container)) as client:
        yield client


async def test_order_has_contract_fields_money_as_strings_and_utc_times(client):
    response = await client.get(f"/orders/{ORDER}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "orderId": ORDER,
        "customerId": "cust-7",
        "status": "PAID",
        "currency": "EUR",
        "totalNet": "24.90",
        "totalGross": "29.52",
        "itemCount": 6,
        "lineCount": 3,
        "createdAt": "2026-11-28T10:15:00Z",
        "updatedAt": "2026-11-28T10:24:00Z",
        "lastEventSequence": 3,
        "items": [
            {
                "lineNo": 1,
                "itemId": "i-1",
                "sku": "SKU-A",
                "qty": 2,
                "price": "10.00",
                "taxRate": "0.23",
                "netLineTotal": "20.00",
                "grossLineTotal": "24.60",
            },
            {
                "lineNo": 2,
                "itemId": "i-2",
                "sku": "SKU-B",
                "qty": 1,
                "price": "4.60",
                "taxRate": "0",
                "netLineTotal": "4.60",
                "grossLineTotal": "4.60",
            },
            {
                "lineNo": 3,
                "itemId": "i-3",
                "sku": "SKU-C",
                "qty": 3,
                "price": "0.10",
                "taxRate": "0.07",
                "netLineTotal": "0.30",
                "grossLineTotal": "0.32",
            },
        ],
    }


# --- ETag and conditional requests --------------------------------------------------------


async def etag_of(client: AsyncTestClient) -> str:
    response = await client.get(f"/orders/{ORDER}")
    assert response.status_code == 200
    return response.headers["etag"]


async def test_etag_is_a_strong_quoted_tag_that_repeats_while_nothing_changes(client):
    first = await client.get(f"/orders/{ORDER}")
    assert first.headers["etag"].startswith('"') and first.headers["etag"].endswith('"')
    assert first.headers["cache-control"] == "no-cache"
    assert await etag_of(client) == first.headers["etag"]


@pytest.mark.parametrize(
    "if_none_match",
    ["{tag}", "W/{tag}", '"stale", {tag}', '"a",W/{tag} , "b"', "*"],
)
async def test_if_none_match_on_the_current_tag_is_304_without_body(client, if_none_match):
    tag = await etag_of(client)
    response = await client.get(
        f"/orders/{ORDER}", headers={"If-None-Match": if_none_match.format(tag=tag)}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag


@pytest.mark.parametrize("if_none_match", ['"stale"', 'W/"stale"', "", "garbage, ,"])
async def test_if_none_match_on_another_tag_is_200(client, if_none_match):
    response = await client.get(f"/orders/{ORDER}", headers={"If-None-Match": if_none_match})
    assert response.status_code == 200
    assert response.json()["orderId"] == ORDER


async def test_etag_changes_when_an_event_changes_the_view(client, container):
    before = await etag_of(client)
    await container.write_side.project_batch()(
        [record(status_changed(ORDER, "SHIPPED"), 4, offset=3)]
    )
    response = await client.get(f"/orders/{ORDER}", headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response.json()["status"] == "SHIPPED"
    assert response.headers["etag"] != before


async def test_etag_survives_duplicates_and_a_rebuild_that_reproduces_the_view(client, container):
    before = await etag_of(client)
    await container.write_side.project_batch()(history())  # redelivered: every event is a duplicate
    assert await etag_of(client) == before

    rebuilt = memory_container()
    await rebuilt.write_side.project_batch()(history())
    async with AsyncTestClient(create_app_from_container(rebuilt)) as other:
        assert await etag_of(other) == before


# --- problems -----------------------------------------------------------------------------


def assert_problem(response, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] == title
    assert body["type"] and body["detail"]
    return body


@pytest.mark.parametrize("order_id", ["missing", "x" * 65, "%00", "%C3%A9t%C3%A9"])
async def test_unknown_order_is_a_404_problem(client, order_id):
    response = await client.get(f"/orders/{order_id}", headers={"If-None-Match": "*"})
    assert_problem(response, 404, "Not Found")


async def test_unknown_route_is_a_404_problem(client):
    body = assert_problem(await client.get("/nowhere/at/all"), 404, "Not Found")
    assert "/nowhere/at/all" in body["detail"]


async def test_wrong_method_is_a_405_problem_with_allow(client):
    response = await client.post("/orders", json={})
    assert_problem(response, 405, "Method Not Allowed")
    assert "GET" in response.headers["allow"]


class FailingReader:
    """An OrderReader whose every read fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def get_order(self, order_id: str) -> NoReturn:
        raise self.error

    async def list_orders(self, query: ListQuery) -> NoReturn:
        raise self.error


async def test_unexpected_errors_are_500_problems_without_internals(container):
    reader = FailingReader(RuntimeError("connection to 10.0.0.7 refused; password=hunter2"))
    container.read_side.order_reader.override(providers.Object(reader))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        body = assert_problem(await client.get(f"/orders/{ORDER}"), 500, "Internal Server Error")
    assert body["detail"] == "an unexpected error occurred; it has been logged"
    assert "hunter2" not in str(body) and "Traceback" not in str(body)


@pytest.mark.parametrize("path", [f"/orders/{ORDER}", "/orders?status=PAID"])
async def test_a_database_that_does_not_answer_is_a_503_with_retry_after(container, path):
    reader = FailingReader(Unavailable("the database did not answer: PoolTimeout"))
    container.read_side.order_reader.override(providers.Object(reader))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        response = await client.get(path)
        body = assert_problem(response, 503, "Service Unavailable")

    assert response.headers["retry-after"] == "2"
    assert body["type"] == "urn:streamview:problem:unavailable"
    assert body["detail"] == "the database did not answer: PoolTimeout; retry later"


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    reader: OrderReader = FailingReader(RuntimeError())
    del reader
