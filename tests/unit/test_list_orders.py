"""ListOrders: parameter errors name the parameter; page and cursor walks agree, even on ties."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.cursors import CursorCodec, sort_value
from application.errors import InvalidParameter
from application.ports import SortField
from application.queries import ListOrders, ListRequest, OrderPage
from domain.projection import OrderView
from tests.support.events import at, item, order_created, order_log, status_changed
from tests.support.projection import MemoryPipeline

pytestmark = pytest.mark.unit

ORDERS = 23


@pytest.fixture(scope="module")
async def pipeline() -> MemoryPipeline:
    """23 orders whose sort values tie in groups: 3 timestamps, 4 totals, 2 customers."""
    pipeline = MemoryPipeline()
    records = []
    for n in range(ORDERS):
        order_id = f"order-{n:02d}"
        created = order_created(
            order_id,
            customer_id=f"customer-{n % 2}",
            items=[item(price=f"{n % 4}.50")],
            occurred_at=at(n % 3),
        )
        later = [status_changed(order_id, "PAID", occurred_at=at(10 + n % 3))] if n % 5 else []
        records += order_log(order_id, *later, created=created)
    await pipeline.feed(records)
    return pipeline


@pytest.fixture
def list_orders(pipeline: MemoryPipeline) -> ListOrders:
    return ListOrders(pipeline.store, CursorCodec(b"secret"))


async def _invalid(list_orders: ListOrders, **params: Any) -> str:
    with pytest.raises(InvalidParameter) as raised:
        await list_orders(ListRequest(**params))
    return raised.value.name


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"page": 2, "cursor": "anything"}, "cursor"),
        ({"page_size": 0}, "pageSize"),
        ({"page_size": 501}, "pageSize"),
        ({"page": 0}, "page"),
        ({"statuses": ("PAID", "LOST")}, "status"),
        ({"statuses": ("paid",)}, "status"),
        ({"sort": "price"}, "sort"),
        ({"sort": "+updatedAt"}, "sort"),
        ({"cursor": "forged.token"}, "cursor"),
        ({"updated_from": datetime(2026, 1, 1)}, "from"),
        ({"updated_to": datetime(2026, 1, 1)}, "to"),
    ],
)
async def test_bad_parameters_are_named(
    list_orders: ListOrders, params: dict[str, Any], name: str
) -> None:
    assert await _invalid(list_orders, **params) == name


async def test_a_cursor_used_with_another_sort_is_refused(list_orders: ListOrders) -> None:
    first = await list_orders(ListRequest(sort="orderId", page_size=5))

    assert first.next_cursor is not None
    assert await _invalid(list_orders, sort="-orderId", cursor=first.next_cursor) == "cursor"
    again = await list_orders(ListRequest(sort="orderId", cursor=first.next_cursor, page_size=5))
    assert again.page == 2


@pytest.mark.parametrize("size", [1, 500])
async def test_page_size_bounds_are_inclusive(list_orders: ListOrders, size: int) -> None:
    page = await list_orders(ListRequest(page_size=size))

    assert len(page.items) == min(size, ORDERS)


async def test_filters_and_default_sort(list_orders: ListOrders, pipeline: MemoryPipeline) -> None:
    page = await list_orders(
        ListRequest(
            statuses=("PAID",),
            customer_id="customer-1",
            updated_from=datetime.fromisoformat(at(11)),
            page_size=500,
        )
    )

    assert page.items and all(
        v.status == "PAID"
        and v.customer_id == "customer-1"
        and v.updated_at >= datetime.fromisoformat(at(11))
        for v in page.items
    )
    keys = [(v.updated_at, v.order_id) for v in page.items]
    assert keys == sorted(keys, reverse=True)


SORTS = [f"{sign}{field.value}" for field in SortField for sign in ("", "-")]


async def _expected(pipeline: MemoryPipeline, sort: str) -> list[str]:
    """The display order, computed here: (sort value, orderId), both in the sort's direction."""
    field = SortField(sort.lstrip("-"))
    views: list[OrderView] = []
    for n in range(ORDERS):
        detail = await pipeline.store.get_order(f"order-{n:02d}")
        assert detail is not None
        views.append(detail.view)
    views.sort(key=lambda v: (sort_value(field, v), v.order_id), reverse=sort.startswith("-"))
    return [v.order_id for v in views]


def _ids(page: OrderPage) -> list[str]:
    return [v.order_id for v in page.items]


async def _walk_by_page(list_orders: ListOrders, sort: str, size: int) -> list[list[str]]:
    pages, number = [], 1
    while True:
        page = await list_orders(ListRequest(sort=sort, page=number, page_size=size))
        assert page.page == number
        pages.append(_ids(page))
        if page.next_cursor is None:
            return pages
        number += 1


async def _walk_by_cursor(list_orders: ListOrders, sort: str, size: int) -> list[OrderPage]:
    pages = [await list_orders(ListRequest(sort=sort, page_size=size))]
    while (cursor := pages[-1].next_cursor) is not None:
        pages.append(await list_orders(ListRequest(cursor=cursor, page_size=size)))
    return pages


async def _walk_back(list_orders: ListOrders, last: OrderPage, size: int) -> list[OrderPage]:
    pages = [last]
    while (cursor := pages[-1].prev_cursor) is not None:
        pages.append(await list_orders(ListRequest(cursor=cursor, page_size=size)))
    return pages[::-1]


@pytest.mark.parametrize("size", [1, 4, 7, ORDERS])
@pytest.mark.parametrize("sort", SORTS)
async def test_page_and_cursor_walks_give_the_same_sequence(
    list_orders: ListOrders, pipeline: MemoryPipeline, sort: str, size: int
) -> None:
    expected = await _expected(pipeline, sort)

    by_page = await _walk_by_page(list_orders, sort, size)
    forward = await _walk_by_cursor(list_orders, sort, size)
    back = await _walk_back(list_orders, forward[-1], size)

    assert [order_id for page in by_page for order_id in page] == expected
    assert [_ids(page) for page in forward] == by_page
    assert [_ids(page) for page in back] == by_page
    assert [page.page for page in forward] == [page.page for page in back]
    assert [page.page for page in back] == list(range(1, len(by_page) + 1))
    assert forward[0].prev_cursor is None and forward[-1].next_cursor is None


async def test_an_empty_result_has_no_cursors(list_orders: ListOrders) -> None:
    later = datetime(2030, 1, 1, tzinfo=UTC)

    page = await list_orders(ListRequest(updated_from=later))

    assert (page.items, page.next_cursor, page.prev_cursor) == ([], None, None)


async def test_a_page_past_the_end_is_empty(list_orders: ListOrders) -> None:
    page = await list_orders(ListRequest(page=99, page_size=10))

    assert (page.items, page.page, page.next_cursor) == ([], 99, None)


# --- bounds: page numbers only so deep, cursors only for their own listing --------------------


@pytest.mark.parametrize(("page", "size"), [(20, 500), (200, 50), (10_000, 1)])
async def test_page_numbers_reach_ten_thousand_rows(
    list_orders: ListOrders, page: int, size: int
) -> None:
    result = await list_orders(ListRequest(page=page, page_size=size))

    assert (result.page, result.items) == (page, [])


@pytest.mark.parametrize(("page", "size"), [(21, 500), (201, None), (10_001, 1), (10**9, 500)])
async def test_page_numbers_past_ten_thousand_rows_are_refused_pointing_at_the_cursor(
    list_orders: ListOrders, page: int, size: int | None
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        await list_orders(ListRequest(page=page, page_size=size))

    assert raised.value.name == "page"
    assert "10000" in raised.value.reason and "nextCursor" in raised.value.reason


FILTERED = {"statuses": ("PAID",), "customer_id": "customer-1"}


async def _first_filtered(list_orders: ListOrders) -> OrderPage:
    page = await list_orders(ListRequest(**FILTERED, sort="orderId", page_size=3))
    assert page.next_cursor is not None
    return page


async def test_a_cursor_alone_continues_the_listing_it_was_issued_for(
    list_orders: ListOrders,
) -> None:
    first = await _first_filtered(list_orders)

    second = await list_orders(ListRequest(cursor=first.next_cursor))
    by_number = await list_orders(ListRequest(**FILTERED, sort="orderId", page=2, page_size=3))

    assert (second.page, second.page_size, str(second.sort)) == (2, 3, "orderId")
    assert second.filters == first.filters
    assert [o.order_id for o in second.items] == [o.order_id for o in by_number.items]
    assert all(o.status == "PAID" and o.customer_id == "customer-1" for o in second.items)


async def test_a_cursor_with_its_own_parameters_repeated_is_accepted(
    list_orders: ListOrders,
) -> None:
    first = await _first_filtered(list_orders)

    same = ListRequest(**FILTERED, sort="orderId", page_size=3, cursor=first.next_cursor)
    reordered = ListRequest(statuses=("PAID", "PAID"), cursor=first.next_cursor)

    assert (await list_orders(same)).page == 2
    assert (await list_orders(reordered)).page == 2


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"statuses": ("SHIPPED",)}, "status"),
        ({"statuses": ("PAID", "SHIPPED")}, "status"),
        ({"customer_id": "customer-0"}, "customerId"),
        ({"updated_from": datetime(2026, 1, 1, tzinfo=UTC)}, "from"),
        ({"updated_to": datetime(2030, 1, 1, tzinfo=UTC)}, "to"),
        ({"page_size": 4}, "pageSize 3"),
        ({"sort": "-orderId"}, "sort orderId"),
    ],
    ids=repr,
)
async def test_a_cursor_sent_with_other_filters_or_page_size_is_refused(
    list_orders: ListOrders, params: dict[str, Any], named: str
) -> None:
    first = await _first_filtered(list_orders)

    with pytest.raises(InvalidParameter) as raised:
        await list_orders(ListRequest(**params, cursor=first.next_cursor))

    assert raised.value.name == "cursor"
    assert named in raised.value.reason
