"""The contract of the customers view's CustomerWrites port: every adapter passes it unchanged.

Subclass `CustomerWritesContract` (in a `test_*.py` module) and provide a fixture `tables`:
a `CustomerTables` over new, empty tables.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

import msgspec
import pytest

from domain.events import OrderStatus
from views.customers.domain import (
    BatchChanges,
    CurrencyChange,
    CurrencyKey,
    CurrencyTotals,
    CustomerChange,
    CustomerSummary,
    OrderContribution,
)
from views.customers.ports import ContributionMove, CustomerWrites

T0 = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)


class Rows(msgspec.Struct, frozen=True):
    """Everything the adapter stored besides the contributions, projected_at left out."""

    summaries: dict[str, CustomerSummary]
    currencies: dict[CurrencyKey, CurrencyTotals]
    versions: dict[str, int]


class CustomerTables(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[CustomerWrites]:
        """The tables inside a new transaction, committed when the block ends, rolled back
        when it raises."""
        ...

    async def rows(self) -> Rows:
        """The committed rows of customers_view and customer_totals_view."""
        ...


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def contribution(
    order_id: str = "o-1",
    sequence: int = 1,
    *,
    customer: str = "c-1",
    currency: str = "EUR",
    status: OrderStatus = OrderStatus.CREATED,
    net: str = "10.00",
    gross: str = "12.30",
    created: float = 0,
    updated: float | None = None,
) -> OrderContribution:
    return OrderContribution(
        order_id=order_id,
        customer_id=customer,
        currency=currency,
        status=status,
        total_net=Decimal(net),
        total_gross=Decimal(gross),
        created_at=t(created),
        updated_at=t(created if updated is None else updated),
        last_event_sequence=sequence,
    )


def customer(
    customer_id: str = "c-1",
    *,
    orders: int = 0,
    created: int = 0,
    paid: int = 0,
    cancelled: int = 0,
    first: float | None = None,
    last: float | None = None,
    updated: float | None = None,
) -> CustomerChange:
    return CustomerChange(
        customer_id=customer_id,
        order_count=orders,
        created=created,
        paid=paid,
        cancelled=cancelled,
        first_order_at=None if first is None else t(first),
        last_order_at=None if last is None else t(last),
        updated_at=None if updated is None else t(updated),
    )


def new_order(customer_id: str = "c-1", at: float = 0) -> CustomerChange:
    """The change a customer's new order makes: counted, CREATED, its time every candidate."""
    return customer(customer_id, orders=1, created=1, first=at, last=at, updated=at)


def currency(
    customer_id: str = "c-1",
    code: str = "EUR",
    *,
    orders: int = 0,
    net: str = "0",
    gross: str = "0",
) -> CurrencyChange:
    return CurrencyChange(customer_id, code, orders, Decimal(net), Decimal(gross))


def summary(
    customer_id: str = "c-1",
    *,
    orders: int = 1,
    created: int = 1,
    paid: int = 0,
    cancelled: int = 0,
    first: float = 0,
    last: float = 0,
    updated: float = 0,
) -> CustomerSummary:
    return CustomerSummary(
        customer_id, orders, created, paid, 0, 0, cancelled, t(first), t(last), t(updated)
    )


def totals(
    customer_id: str = "c-1", code: str = "EUR", *, orders: int = 1, net: str, gross: str
) -> CurrencyTotals:
    return CurrencyTotals(customer_id, code, orders, Decimal(net), Decimal(gross))


def changes(
    customers: tuple[CustomerChange, ...] = (), currencies: tuple[CurrencyChange, ...] = ()
) -> BatchChanges:
    return BatchChanges(customers, currencies)


async def move(tables: CustomerTables, *moves: ContributionMove) -> list[ContributionMove]:
    async with tables.transaction() as writes:
        return await writes.move(moves)


async def add(tables: CustomerTables, batch: BatchChanges) -> None:
    async with tables.transaction() as writes:
        await writes.add(batch)


async def stored(tables: CustomerTables, *order_ids: str) -> dict[str, OrderContribution]:
    async with tables.transaction() as writes:
        return await writes.contributions(order_ids)


class CustomerWritesContract:
    # --- contributions and their compare-and-set ------------------------------------------

    async def test_contributions_read_back_equal_and_leave_out_unknown_orders(
        self, tables: CustomerTables
    ) -> None:
        big = contribution("o-1", 3, status=OrderStatus.PAID, net="1234567890123.45",
                           gross="1518518304851.84", created=-90, updated=30)  # fmt: skip
        small = contribution("o-2", customer="c-2", currency="PLN", net="0.10", gross="0.11")

        await move(tables, ContributionMove(None, big), ContributionMove(None, small))

        read = await stored(tables, "o-1", "o-2", "nobody")
        assert read == {"o-1": big, "o-2": small}
        # Exact: the same digits, no float on the way.
        assert [str(read["o-1"].total_net), str(read["o-2"].total_gross)] == [
            "1234567890123.45",
            "0.11",
        ]
        times = [(c.created_at, c.updated_at) for c in read.values()]
        assert all(at.utcoffset() == timedelta(0) for pair in times for at in pair)
        assert await stored(tables) == {}

    async def test_a_move_inserts_a_new_order_then_updates_it(self, tables: CustomerTables) -> None:
        first = contribution("o-1", 1)
        paid = contribution("o-1", 2, status=OrderStatus.PAID, updated=5)
        grown = contribution("o-1", 4, status=OrderStatus.PAID, net="30.00", gross="36.90",
                             updated=9)  # fmt: skip

        assert await move(tables, ContributionMove(None, first)) == [ContributionMove(None, first)]
        assert await move(tables, ContributionMove(first, paid)) == [ContributionMove(first, paid)]
        assert await move(tables, ContributionMove(paid, grown)) == [ContributionMove(paid, grown)]

        assert await stored(tables, "o-1") == {"o-1": grown}

    async def test_a_move_from_a_stale_old_is_refused_and_stores_nothing(
        self, tables: CustomerTables
    ) -> None:
        first, paid = contribution("o-1", 1), contribution("o-1", 2, status=OrderStatus.PAID)
        await move(tables, ContributionMove(None, first))
        await move(tables, ContributionMove(first, paid))
        cancelled = contribution("o-1", 2, status=OrderStatus.CANCELLED)
        fresh = ContributionMove(None, contribution("o-2"))

        # A zombie that read o-1 at sequence 1, one that thinks o-1 is new, and one that
        # thinks an order exists that does not: each refused; the fresh move is stored.
        refused = [
            ContributionMove(first, cancelled),
            ContributionMove(None, cancelled),
            ContributionMove(contribution("o-3", 1), contribution("o-3", 2)),
        ]
        assert await move(tables, refused[0], fresh, *refused[1:]) == [fresh]

        assert await stored(tables, "o-1", "o-2", "o-3") == {"o-1": paid, "o-2": fresh.new}

    async def test_a_transaction_reads_its_own_moves(self, tables: CustomerTables) -> None:
        first, paid = contribution("o-1", 1), contribution("o-1", 2, status=OrderStatus.PAID)

        async with tables.transaction() as writes:
            assert await writes.move([ContributionMove(None, first)]) != []
            assert await writes.contributions(["o-1"]) == {"o-1": first}
            assert await writes.move([ContributionMove(first, paid)]) != []

        assert await stored(tables, "o-1") == {"o-1": paid}

    async def test_nothing_to_move_or_add_writes_nothing(self, tables: CustomerTables) -> None:
        await add(tables, changes((new_order(),), (currency(orders=1, net="1", gross="1"),)))
        before = await tables.rows()

        async with tables.transaction() as writes:
            assert await writes.move([]) == []
            await writes.add(changes())

        assert await tables.rows() == before
        assert await stored(tables, "o-1") == {}

    # --- the additive rows -----------------------------------------------------------------

    async def test_add_creates_a_customers_rows_then_adds_to_them(
        self, tables: CustomerTables
    ) -> None:
        await add(tables, changes((new_order(at=0),),
                                  (currency(orders=1, net="10.00", gross="12.30"),)))  # fmt: skip

        rows = await tables.rows()
        assert rows.summaries == {"c-1": summary()}
        assert rows.currencies == {("c-1", "EUR"): totals(net="10.00", gross="12.30")}
        assert rows.versions == {"c-1": 1}

        # A second order, CREATED; the first one paid.
        paid = customer(paid=1, created=-1, updated=1)
        await add(tables, changes((new_order(at=1),), (currency(orders=1, net="5", gross="6"),)))
        await add(tables, changes((paid,), ()))

        rows = await tables.rows()
        assert rows.summaries == {
            "c-1": summary(orders=2, created=1, paid=1, first=0, last=1, updated=1)
        }
        assert rows.currencies == {("c-1", "EUR"): totals(orders=2, net="15.00", gross="18.30")}
        assert rows.versions == {"c-1": 3}  # every write, even one of counts alone

    async def test_times_are_the_least_and_the_greatest_of_their_candidates(
        self, tables: CustomerTables
    ) -> None:
        await add(tables, changes((new_order(at=10),)))

        # An order created earlier, whose latest event says 8: first moves back, updated stays.
        await add(tables, changes((customer(orders=1, created=1, first=5, last=5, updated=8),)))
        # No new order: only updated_at has a candidate, and it is the latest.
        await add(tables, changes((customer(updated=20),)))
        # A later order, whose time is not the latest event's.
        await add(tables, changes((customer(orders=1, created=1, first=15, last=15, updated=15),)))

        (row,) = (await tables.rows()).summaries.values()
        assert (row.first_order_at, row.last_order_at, row.updated_at) == (t(5), t(15), t(20))
        assert row.order_count == row.created_count == 3

    async def test_currencies_and_customers_are_kept_apart(self, tables: CustomerTables) -> None:
        await add(
            tables,
            changes(
                (
                    customer("c-1", orders=2, created=2, first=0, last=0, updated=0),
                    new_order("c-2"),
                ),
                (
                    currency("c-1", "EUR", orders=1, net="10.00", gross="12.30"),
                    currency("c-1", "PLN", orders=1, net="100.00", gross="108.00"),
                    currency("c-2", "EUR", orders=1, net="1.00", gross="1.23"),
                ),
            ),
        )
        # c-1's EUR order cancelled: still counted, its money taken out.
        cancel = customer("c-1", created=-1, cancelled=1, updated=3)
        await add(
            tables, changes((cancel,), (currency("c-1", "EUR", net="-10.00", gross="-12.30"),))
        )

        rows = await tables.rows()
        assert rows.currencies == {
            ("c-1", "EUR"): totals("c-1", "EUR", net="0.00", gross="0.00"),
            ("c-1", "PLN"): totals("c-1", "PLN", net="100.00", gross="108.00"),
            ("c-2", "EUR"): totals("c-2", "EUR", net="1.00", gross="1.23"),
        }
        assert rows.summaries == {
            "c-1": summary("c-1", orders=2, created=1, cancelled=1, updated=3),
            "c-2": summary("c-2"),
        }
        assert rows.versions == {"c-1": 2, "c-2": 1}

    # --- transactions ----------------------------------------------------------------------

    async def test_a_rolled_back_transaction_leaves_nothing(self, tables: CustomerTables) -> None:
        first = contribution("o-1", 1)
        await move(tables, ContributionMove(None, first))
        await add(
            tables, changes((new_order(),), (currency(orders=1, net="10.00", gross="12.30"),))
        )
        before = await tables.rows()

        with pytest.raises(RuntimeError, match="after writing"):
            async with tables.transaction() as writes:
                paid = contribution("o-1", 2, status=OrderStatus.PAID)
                moved = await writes.move(
                    [ContributionMove(first, paid), ContributionMove(None, contribution("o-2"))]
                )
                assert len(moved) == 2
                await writes.add(
                    changes(
                        (customer(orders=1, paid=1, first=1, last=1, updated=1), new_order("c-9")),
                        (currency(orders=1, net="1", gross="1"), currency("c-9", orders=1)),
                    )
                )
                raise RuntimeError("the batch failed after writing")

        assert await tables.rows() == before
        assert await stored(tables, "o-1", "o-2") == {"o-1": first}
