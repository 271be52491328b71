"""The listing half of the view store contract: filters, sorts, keyset and offset paging."""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from application.cursors import sort_value
from application.ports import (
    BatchWrite,
    Keyset,
    ListQuery,
    OrderFilters,
    ProjectionTransaction,
    Sort,
    SortField,
)
from domain.batch import BatchResult, BatchTally
from domain.events import OrderStatus
from domain.projection import OrderView
from tests.contracts.view_store_data import T0, view

SORTS = [Sort(field, descending) for field in SortField for descending in (True, False)]
PAGE = 7
HOUR = timedelta(hours=1)
# Few distinct values per sort key, so that pages end in the middle of runs of ties; one
# instant is also written with a +02:00 offset: ties are by instant, not by representation.
UPDATED = [T0, T0 + HOUR, (T0 + HOUR).astimezone(timezone(timedelta(hours=2))), T0 + 2 * HOUR]
CREATED = [T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - HOUR]
GROSS = [Decimal("0.00"), Decimal("9.99"), Decimal("10.00"), Decimal("99999999999999.99")]
# Code point order differs from most collations' order: upper case, accents, digits, emoji.
ODD_IDS = ["Z", "a", "é", "ø-1", "ß", "Ω", "order-10", "order-9", "😀", "e", "A-1"]

FILTERS = [
    OrderFilters(statuses, customer, start, end)
    for statuses, customer, (start, end) in itertools.product(
        [(), (OrderStatus.PAID,), (OrderStatus.PAID, OrderStatus.CANCELLED)],
        [None, "c-2"],
        [(None, None), (T0 + HOUR, None), (None, T0 + 2 * HOUR), (T0 + HOUR, T0 + 2 * HOUR)],
    )
]
# Paging walks: everything, a multi-status filter, and every filter at once.
WALKS = [OrderFilters(), OrderFilters((OrderStatus.PAID, OrderStatus.CANCELLED)), FILTERS[-1]]


def catalog() -> list[OrderView]:
    pick = Random(11).choice
    ids = [f"o-{n:03d}" for n in range(50)] + ODD_IDS
    return [
        view(
            order_id,
            status=pick(list(OrderStatus)),
            customer=pick(["c-1", "c-2", "c-3"]),
            created_at=pick(CREATED),
            updated_at=pick(UPDATED),
            gross_total=pick(GROSS),
        )
        for order_id in ids
    ]


def expected(views: list[OrderView], filters: OrderFilters, sort: Sort) -> list[str]:
    """The contract, stated independently of any adapter: CONTRACT §5 filters and order."""
    kept = [
        v
        for v in views
        if (not filters.statuses or v.status in filters.statuses)
        and (filters.customer_id is None or v.customer_id == filters.customer_id)
        and (filters.updated_from is None or filters.updated_from <= v.updated_at)
        and (filters.updated_to is None or v.updated_at < filters.updated_to)
    ]
    kept.sort(key=lambda v: (sort_value(sort.field, v), v.order_id), reverse=sort.descending)
    return [v.order_id for v in kept]


def after(sort: Sort, row: OrderView, backwards: bool = False) -> Keyset:
    return Keyset(sort_value(sort.field, row), row.order_id, backwards)


class ListingContract:
    @pytest.fixture
    async def listed(self, store: Any) -> list[OrderView]:
        views = catalog()

        async def work(tx: ProjectionTransaction) -> None:
            result = BatchResult(views, [], [], [], BatchTally())
            await tx.save(BatchWrite("g", result, ()))

        await store.in_transaction(work)
        return views

    @pytest.mark.parametrize("sort", SORTS, ids=str)
    async def test_lists_every_filter_with_this_sort(
        self, store: Any, listed: list[OrderView], sort: Sort
    ) -> None:
        for filters in FILTERS:
            rows = await store.list_orders(ListQuery(filters, sort, limit=500))
            assert [r.order_id for r in rows] == expected(listed, filters, sort), filters
        everything = await store.list_orders(ListQuery(OrderFilters(), sort, limit=500))
        assert sorted(everything, key=lambda v: v.order_id) == sorted(
            listed, key=lambda v: v.order_id
        )

    @pytest.mark.parametrize("sort", SORTS, ids=str)
    async def test_keyset_pages_forwards_neither_repeat_nor_skip(
        self, store: Any, listed: list[OrderView], sort: Sort
    ) -> None:
        for filters in WALKS:
            seen: list[str] = []
            page = await store.list_orders(ListQuery(filters, sort, limit=PAGE))
            while page:
                assert len(page) <= PAGE
                seen += [r.order_id for r in page]
                keyset = after(sort, page[-1])
                page = await store.list_orders(ListQuery(filters, sort, PAGE, keyset=keyset))
            assert seen == expected(listed, filters, sort), filters

    @pytest.mark.parametrize("sort", SORTS, ids=str)
    async def test_keyset_pages_backwards_come_in_display_order(
        self, store: Any, listed: list[OrderView], sort: Sort
    ) -> None:
        for filters in WALKS:
            want = expected(listed, filters, sort)
            if not want:
                continue
            last = next(v for v in listed if v.order_id == want[-1])
            seen, bound = [last.order_id], last
            while True:
                keyset = after(sort, bound, backwards=True)
                page = await store.list_orders(ListQuery(filters, sort, PAGE, keyset=keyset))
                if not page:
                    break
                assert [r.order_id for r in page] == want[: len(want) - len(seen)][-PAGE:]
                seen = [r.order_id for r in page] + seen
                bound = page[0]
            assert seen == want, filters

    @pytest.mark.parametrize("sort", SORTS[:2] + SORTS[-2:], ids=str)
    async def test_offset_pages_slice_the_sorted_list(
        self, store: Any, listed: list[OrderView], sort: Sort
    ) -> None:
        want = expected(listed, OrderFilters(), sort)
        for offset in range(0, len(want) + PAGE, PAGE):
            query = ListQuery(OrderFilters(), sort, limit=PAGE, offset=offset)
            rows = await store.list_orders(query)
            assert [r.order_id for r in rows] == want[offset : offset + PAGE]

    async def test_ordering_by_order_id_is_by_code_point(
        self, store: Any, listed: list[OrderView]
    ) -> None:
        rows = await store.list_orders(
            ListQuery(OrderFilters(), Sort(SortField.ORDER_ID, False), 500)
        )

        ids = [r.order_id for r in rows]
        assert ids == sorted(ids, key=lambda s: [ord(c) for c in s])
        assert ids.index("Z") < ids.index("a") < ids.index("ß") < ids.index("é") < ids.index("😀")

    async def test_timestamps_compare_as_instants_whatever_their_offset(
        self, store: Any, listed: list[OrderView]
    ) -> None:
        instant = UPDATED[1].astimezone(UTC)
        filters = OrderFilters(updated_from=instant, updated_to=instant + timedelta(microseconds=1))

        rows = await store.list_orders(ListQuery(filters, Sort(), limit=500))

        assert {r.order_id for r in rows} == {v.order_id for v in listed if v.updated_at == instant}
        assert all(r.updated_at == instant for r in rows) and len(rows) > 1
