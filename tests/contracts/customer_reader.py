"""The CustomerReader contract: one customer with its currency rows, and pages of customers.

Subclass `CustomerReaderSuite` in a `test_*.py` module and provide a fixture `reader_of`: an
async function that stores the given customers (summary, currency rows, version) in an empty
store and returns a CustomerReader over it.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from random import Random

import pytest

from application.cursors import CursorCodec
from views.customers.domain import CurrencyTotals, CustomerSummary
from views.customers.ports import (
    CustomerDetail,
    CustomerFilters,
    CustomerKeyset,
    CustomerListQuery,
    CustomerReader,
    CustomerSort,
    CustomerSortValue,
)
from views.customers.queries import CustomerListRequest, CustomerPage, ListCustomers

ReaderOf = Callable[[Sequence[CustomerDetail]], Awaitable[CustomerReader]]

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LAST, COUNT, GROSS = CustomerSort.LAST_ORDER_AT, CustomerSort.ORDER_COUNT, CustomerSort.TOTAL_GROSS
# Code point order (PostgreSQL's "C" collation) differs from most collations' order.
ODD_IDS = ["Z", "a", "é", "ø-1", "ß", "Ω", "c-10", "c-9", "😀", "e", "A-1"]


def customer(
    customer_id: str,
    *,
    last: datetime = T0,
    first: datetime | None = None,
    updated: datetime | None = None,
    statuses: tuple[int, int, int, int, int] = (1, 0, 0, 0, 0),
    totals: dict[str, tuple[int, str, str]] | None = None,
    version: int = 1,
) -> CustomerDetail:
    """`statuses`: CREATED, PAID, SHIPPED, DELIVERED, CANCELLED counts (they add up to the
    order count); `totals`: currency -> (orders, net, gross)."""
    rows = {"EUR": (sum(statuses), "10.00", "12.30")} if totals is None else totals
    summary = CustomerSummary(
        customer_id,
        sum(statuses),
        *statuses,
        first_order_at=first or last - 24 * HOUR,
        last_order_at=last,
        updated_at=updated or last + HOUR,
    )
    currency_rows = tuple(
        CurrencyTotals(customer_id, currency, n, Decimal(net), Decimal(gross))
        for currency, (n, net, gross) in sorted(rows.items())
    )
    return CustomerDetail(summary, currency_rows, version)


def ids(details: Sequence[CustomerDetail]) -> list[str]:
    return [d.summary.customer_id for d in details]


def query(
    sort: CustomerSort = LAST,
    limit: int = 100,
    keyset: CustomerKeyset | None = None,
    *,
    currency: str | None = None,
    min_orders: int | None = None,
    last_order_from: datetime | None = None,
    last_order_to: datetime | None = None,
) -> CustomerListQuery:
    filters = CustomerFilters(currency, min_orders, last_order_from, last_order_to)
    return CustomerListQuery(filters, sort, limit, keyset)


# --- a catalogue for the walks: few distinct sort values, so pages end inside runs of ties ------

LASTS = [T0, T0 + HOUR, (T0 + HOUR).astimezone(timezone(timedelta(hours=2))), T0 + 3 * HOUR]
GROSSES = ["0.00", "9.99", "10.00", "99999999999999.99"]


def catalog() -> list[CustomerDetail]:
    pick = Random(7).choice
    found = []
    for n, customer_id in enumerate([f"c-{n:03d}" for n in range(40)] + ODD_IDS):
        counts = pick([(1, 0, 0, 0, 0), (0, 1, 1, 0, 0), (1, 1, 0, 1, 1), (0, 0, 0, 0, 2)])
        currencies = pick([("EUR",), ("USD",), ("EUR", "USD"), ("PLN", "EUR", "USD")])
        orders = sum(counts)
        totals = {c: (max(1, orders - i), "1.00", pick(GROSSES)) for i, c in enumerate(currencies)}
        found.append(
            customer(customer_id, last=pick(LASTS), statuses=counts, totals=totals, version=n + 1)
        )
    return found


WALK_FILTERS = [
    CustomerFilters(),
    CustomerFilters(currency="EUR"),
    CustomerFilters(min_orders=3),
    CustomerFilters(last_order_from=T0 + HOUR, last_order_to=T0 + 3 * HOUR),
    CustomerFilters("USD", 2, T0, T0 + 3 * HOUR),
]


def reference(
    rows: Sequence[CustomerDetail], filters: CustomerFilters, sort: CustomerSort
) -> list[str]:
    """The listing by the words of the API: filter, then sort descending with the id."""

    def kept(d: CustomerDetail) -> bool:
        s, f = d.summary, filters
        currencies = {t.currency for t in d.totals}
        return (
            (f.currency is None or f.currency in currencies)
            and (f.min_orders is None or s.order_count >= f.min_orders)
            and (f.last_order_from is None or s.last_order_at >= f.last_order_from)
            and (f.last_order_to is None or s.last_order_at < f.last_order_to)
        )

    chosen = [d for d in rows if kept(d)]
    chosen.sort(key=lambda d: (d.sort_value(sort, filters.currency), d.summary.customer_id))
    return ids(chosen[::-1])


class CustomerReaderSuite:
    @pytest.fixture
    def reader_of(self) -> ReaderOf:
        raise NotImplementedError("a subclass provides `reader_of`")

    # --- one customer ---------------------------------------------------------------------------

    async def test_a_customer_has_its_counts_times_version_and_currency_rows_by_currency(
        self, reader_of: ReaderOf
    ) -> None:
        stored = customer(
            "c-1",
            last=T0,
            first=T0 - 48 * HOUR,
            updated=T0 + 2 * HOUR,
            statuses=(1, 2, 3, 4, 5),
            totals={
                "USD": (5, "100.00", "123.00"),
                "EUR": (9, "1234567890123.45", "1518518504851.84"),
                "PLN": (1, "0.00", "0.00"),
            },
            version=17,
        )
        reader = await reader_of([stored, customer("c-2")])

        found = await reader.get_customer("c-1")

        assert found is not None
        s = found.summary
        assert (s.customer_id, s.order_count) == ("c-1", 15)
        assert (s.created_count, s.paid_count, s.shipped_count) == (1, 2, 3)
        assert (s.delivered_count, s.cancelled_count) == (4, 5)
        assert (s.first_order_at, s.last_order_at) == (T0 - 48 * HOUR, T0)
        assert s.updated_at == T0 + 2 * HOUR
        assert found.version == 17
        assert [(t.currency, t.order_count, t.total_net, t.total_gross) for t in found.totals] == [
            ("EUR", 9, Decimal("1234567890123.45"), Decimal("1518518504851.84")),
            ("PLN", 1, Decimal("0.00"), Decimal("0.00")),
            ("USD", 5, Decimal("100.00"), Decimal("123.00")),
        ]
        assert {t.customer_id for t in found.totals} == {"c-1"}

    @pytest.mark.parametrize("customer_id", ["c-3", "", "c-1\x00", "C-1", "c-1 "])
    async def test_an_unknown_customer_is_none(self, reader_of: ReaderOf, customer_id: str) -> None:
        reader = await reader_of([customer("c-1"), customer("c-2")])
        assert await reader.get_customer(customer_id) is None

    async def test_a_customer_id_is_matched_exactly_whatever_its_characters(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of([customer(i, version=n) for n, i in enumerate(ODD_IDS)])
        for n, customer_id in enumerate(ODD_IDS):
            found = await reader.get_customer(customer_id)
            assert found is not None
            assert (found.summary.customer_id, found.version) == (customer_id, n)

    # --- listing: sorts --------------------------------------------------------------------------

    async def test_the_default_sort_is_latest_order_first_ties_by_id_descending(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [
                customer("a", last=T0),
                customer("b", last=T0 + 2 * HOUR),
                customer("c", last=T0 + HOUR),
                customer("d", last=T0 + HOUR),
                customer("e", last=T0 - HOUR),
            ]
        )
        found = await reader.list_customers(query(LAST))
        assert ids(found) == ["b", "d", "c", "a", "e"]
        assert [d.totals[0].total_gross for d in found] == [Decimal("12.30")] * 5

    async def test_by_order_count_most_first_ties_by_id_descending(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [
                customer("a", statuses=(1, 0, 0, 0, 0)),
                customer("b", statuses=(0, 0, 0, 0, 3)),
                customer("c", statuses=(1, 1, 0, 0, 0)),
                customer("d", statuses=(0, 0, 1, 1, 0)),
            ]
        )
        found = await reader.list_customers(query(COUNT))
        assert ids(found) == ["b", "d", "c", "a"]
        assert [d.summary.order_count for d in found] == [3, 2, 2, 1]

    async def test_by_total_gross_in_one_currency_ties_by_id_descending(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [
                customer("a", totals={"EUR": (1, "5.00", "6.15"), "USD": (1, "900", "999.00")}),
                customer("b", totals={"EUR": (2, "80.00", "98.40")}),
                customer("c", totals={"USD": (1, "1.00", "1.00")}),
                customer("d", totals={"EUR": (1, "5.00", "6.15"), "PLN": (1, "1", "1.00")}),
                customer("e", totals={"EUR": (1, "10.00", "10.00")}),
            ]
        )
        eur = await reader.list_customers(query(GROSS, currency="EUR"))
        usd = await reader.list_customers(query(GROSS, currency="USD"))

        assert ids(eur) == ["b", "e", "d", "a"]
        assert ids(usd) == ["a", "c"]
        # Every currency row of each customer comes with it, not only the sorted one.
        assert [t.currency for t in usd[0].totals] == ["EUR", "USD"]

    async def test_ids_are_ordered_by_code_point(self, reader_of: ReaderOf) -> None:
        reader = await reader_of([customer(i) for i in ODD_IDS])
        found = await reader.list_customers(query(LAST))
        assert ids(found) == sorted(ODD_IDS, reverse=True)

    # --- listing: filters -----------------------------------------------------------------------

    async def test_currency_keeps_customers_with_a_row_in_it(self, reader_of: ReaderOf) -> None:
        reader = await reader_of(
            [
                customer("a", totals={"EUR": (1, "1", "1")}),
                customer("b", totals={"USD": (1, "1", "1")}),
                customer("c", totals={"EUR": (1, "0.00", "0.00"), "USD": (1, "1", "1")}),
            ]
        )
        found = await reader.list_customers(query(LAST, currency="EUR"))
        assert ids(found) == ["c", "a"]
        assert await reader.list_customers(query(LAST, currency="GBP")) == []

    async def test_min_orders_keeps_customers_with_at_least_that_many(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [
                customer("a", statuses=(1, 0, 0, 0, 0)),
                customer("b", statuses=(1, 1, 0, 0, 0)),
                customer("c", statuses=(0, 0, 0, 0, 3)),
            ]
        )
        assert ids(await reader.list_customers(query(COUNT, min_orders=2))) == ["c", "b"]
        assert ids(await reader.list_customers(query(LAST, min_orders=3))) == ["c"]
        assert ids(await reader.list_customers(query(LAST, min_orders=4))) == []

    async def test_the_window_on_last_order_is_from_inclusive_to_exclusive(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [customer(f"c-{h}", last=T0 + h * HOUR) for h in range(5)]
            + [customer("plus-two", last=(T0 + 2 * HOUR).astimezone(timezone(HOUR * 2)))]
        )
        window = query(LAST, last_order_from=T0 + HOUR, last_order_to=T0 + 3 * HOUR)
        found = await reader.list_customers(window)
        assert ids(found) == ["plus-two", "c-2", "c-1"]
        assert ids(await reader.list_customers(query(LAST, last_order_to=T0 + HOUR))) == ["c-0"]
        since = await reader.list_customers(query(COUNT, last_order_from=T0 + 4 * HOUR))
        assert ids(since) == ["c-4"]

    async def test_filters_combine(self, reader_of: ReaderOf) -> None:
        reader = await reader_of(
            [
                customer("a", last=T0, statuses=(2, 0, 0, 0, 0)),
                customer("b", last=T0, statuses=(2, 0, 0, 0, 0), totals={"USD": (2, "1", "1")}),
                customer("c", last=T0 + HOUR, statuses=(1, 0, 0, 0, 0)),
                customer("d", last=T0 + 5 * HOUR, statuses=(3, 0, 0, 0, 0)),
                customer("e", last=T0 + HOUR, statuses=(0, 3, 0, 0, 0)),
            ]
        )
        found = await reader.list_customers(
            query(GROSS, currency="EUR", min_orders=2, last_order_to=T0 + 2 * HOUR)
        )
        assert ids(found) == ["e", "a"]

    # --- listing: limit and keyset -------------------------------------------------------------

    async def test_a_limit_keeps_the_first_rows(self, reader_of: ReaderOf) -> None:
        reader = await reader_of([customer(f"c-{n}", last=T0 + n * HOUR) for n in range(6)])
        assert ids(await reader.list_customers(query(LAST, limit=2))) == ["c-5", "c-4"]

    async def test_a_keyset_continues_strictly_after_it_through_ties(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [customer(i, last=T0 + HOUR) for i in "abc"]
            + [customer(i, last=T0) for i in "de"]
            + [customer("f", last=T0 + 2 * HOUR)]
        )
        after_b = CustomerKeyset(T0 + HOUR, "b")
        found = await reader.list_customers(query(LAST, limit=3, keyset=after_b))
        assert ids(found) == ["a", "e", "d"]

    async def test_a_backwards_keyset_gives_the_nearest_rows_before_it_in_display_order(
        self, reader_of: ReaderOf
    ) -> None:
        reader = await reader_of(
            [customer(i, last=T0 + HOUR) for i in "abc"]
            + [customer(i, last=T0) for i in "de"]
            + [customer("f", last=T0 + 2 * HOUR)]
        )
        before_e = CustomerKeyset(T0, "e", backwards=True)
        found = await reader.list_customers(query(LAST, limit=3, keyset=before_e))
        assert ids(found) == ["c", "b", "a"]
        everything = await reader.list_customers(query(LAST, limit=10, keyset=before_e))
        assert ids(everything) == ["f", "c", "b", "a"]

    @pytest.mark.parametrize(
        ("sort", "value"),
        [(COUNT, 2), (GROSS, Decimal("9.99"))],
    )
    async def test_a_keyset_on_each_sort_key(
        self, reader_of: ReaderOf, sort: CustomerSort, value: CustomerSortValue
    ) -> None:
        reader = await reader_of(
            [
                customer("a", statuses=(2, 0, 0, 0, 0), totals={"EUR": (2, "1", "9.99")}),
                customer("b", statuses=(2, 0, 0, 0, 0), totals={"EUR": (2, "1", "9.99")}),
                customer("c", statuses=(1, 0, 0, 0, 0), totals={"EUR": (1, "1", "0.50")}),
                customer("d", statuses=(3, 0, 0, 0, 0), totals={"EUR": (3, "1", "10.00")}),
            ]
        )
        keyset = CustomerKeyset(value, "b")
        after = await reader.list_customers(query(sort, keyset=keyset, currency="EUR"))
        back = CustomerKeyset(value, "b", backwards=True)
        before = await reader.list_customers(query(sort, keyset=back, currency="EUR"))
        assert (ids(before), ids(after)) == (["d"], ["a", "c"])

    # --- walks through the use case: every row once, in order, forwards and back ---------------

    @pytest.mark.parametrize("sort", list(CustomerSort))
    async def test_cursor_walks_give_the_listing_once_in_order_and_back(
        self, reader_of: ReaderOf, sort: CustomerSort
    ) -> None:
        rows = catalog()
        reader = await reader_of(rows)
        listing = ListCustomers(reader, CursorCodec(b"contract"))
        filters = [f for f in WALK_FILTERS if sort is not GROSS or f.currency is not None]
        if sort is GROSS:
            filters.append(CustomerFilters(currency="PLN"))
        for f, size in itertools.product(filters, [1, 4, 500]):
            expected = reference(rows, f, sort)
            request = CustomerListRequest(
                f.currency, f.min_orders, f.last_order_from, f.last_order_to, sort.value, size
            )
            pages = [await listing(request)]
            while pages[-1].next_cursor:
                pages.append(await listing(CustomerListRequest(cursor=pages[-1].next_cursor)))
            assert [i for p in pages for i in ids(p.items)] == expected, (f, size)
            assert all(len(p.items) == size for p in pages[:-1])
            assert pages[0].prev_cursor is None

            back: list[CustomerPage] = [pages[-1]]
            while back[-1].prev_cursor:
                back.append(await listing(CustomerListRequest(cursor=back[-1].prev_cursor)))
            assert [ids(p.items) for p in back[::-1]] == [ids(p.items) for p in pages], (f, size)
