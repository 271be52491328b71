"""The customers view's ports: its tables inside a projection transaction, and its reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import msgspec

from views.customers.domain import (
    BatchChanges,
    CurrencyTotals,
    CustomerSummary,
    OrderContribution,
)


class ContributionMove(msgspec.Struct, frozen=True):
    """An order's contribution moved by a batch: from `old` (None: new order) to `new`."""

    old: OrderContribution | None
    new: OrderContribution


class CustomerWrites(Protocol):
    """The customers view's tables, inside the projection transaction of a batch."""

    async def contributions(self, order_ids: Collection[str]) -> dict[str, OrderContribution]:
        """The stored contributions of these orders, in one read; absent orders left out."""
        ...

    async def move(self, moves: Sequence[ContributionMove]) -> list[ContributionMove]:
        """Store each move whose order still holds `old` (compare-and-set on its last
        sequence) and return those stored: another writer that got there first (a zombie
        consumer after a rebalance) wins, and its difference is not added twice."""
        ...

    async def add(self, changes: BatchChanges) -> None:
        """Add the merged differences to the customer and (customer, currency) rows."""
        ...


# --- the read side ------------------------------------------------------------------------------


class CustomerSort(StrEnum):
    """The listing's orders, each descending, ties broken by customer_id descending."""

    LAST_ORDER_AT = "-lastOrderAt"
    ORDER_COUNT = "-orderCount"
    TOTAL_GROSS = "-totalGross"  # the total gross in the filter's currency: needs `currency`


CustomerSortValue = datetime | int | Decimal


class CustomerFilters(msgspec.Struct, frozen=True):
    currency: str | None = None  # customers with a row in this currency
    min_orders: int | None = None  # order_count >= min_orders
    last_order_from: datetime | None = None  # last_order_at >= it
    last_order_to: datetime | None = None  # last_order_at < it


class CustomerKeyset(msgspec.Struct, frozen=True):
    """Rows strictly after (or, `backwards`, strictly before) this (sort value, customer_id)
    in display order."""

    value: CustomerSortValue
    customer_id: str
    backwards: bool = False


class CustomerListQuery(msgspec.Struct, frozen=True):
    filters: CustomerFilters
    sort: CustomerSort
    limit: int
    keyset: CustomerKeyset | None = None


class CustomerDetail(msgspec.Struct, frozen=True):
    """A customer's row, its rows per currency (by currency) and the row's version."""

    summary: CustomerSummary
    totals: tuple[CurrencyTotals, ...]
    version: int

    def sort_value(self, sort: CustomerSort, currency: str | None) -> CustomerSortValue:
        if sort is CustomerSort.ORDER_COUNT:
            return self.summary.order_count
        if sort is CustomerSort.TOTAL_GROSS:
            for totals in self.totals:
                if totals.currency == currency:
                    return totals.total_gross
            raise ValueError(f"customer {self.summary.customer_id!r} has no {currency} row")
        return self.summary.last_order_at


class CustomerReader(Protocol):
    async def get_customer(self, customer_id: str) -> CustomerDetail | None: ...

    async def list_customers(self, query: CustomerListQuery) -> list[CustomerDetail]:
        """At most `limit` customers in display order (for `backwards`: the rows nearest the
        keyset, still returned in display order). A `TOTAL_GROSS` query has a currency."""
        ...
