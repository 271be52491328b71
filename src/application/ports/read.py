"""The read side's ports: what the API reads the views and their changes through."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import msgspec

from domain.events import OrderStatus
from domain.projection import OrderLine, OrderView


class SortField(StrEnum):
    UPDATED_AT = "updatedAt"
    CREATED_AT = "createdAt"
    TOTAL_GROSS = "totalGross"
    ORDER_ID = "orderId"


SortValue = datetime | Decimal | str


class Sort(msgspec.Struct, frozen=True):
    field: SortField = SortField.UPDATED_AT
    descending: bool = True

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.field.value}"


class OrderFilters(msgspec.Struct, frozen=True):
    statuses: tuple[OrderStatus, ...] = ()
    customer_id: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


class Keyset(msgspec.Struct, frozen=True):
    """Rows strictly after (or, `backwards`, strictly before) this (sort value, orderId)."""

    value: SortValue
    order_id: str
    backwards: bool = False


class ListQuery(msgspec.Struct, frozen=True):
    filters: OrderFilters
    sort: Sort
    limit: int
    offset: int = 0
    keyset: Keyset | None = None


class OrderDetail(msgspec.Struct, frozen=True):
    view: OrderView
    lines: tuple[OrderLine, ...]


class OrderReader(Protocol):
    async def get_order(self, order_id: str) -> OrderDetail | None: ...

    async def list_orders(self, query: ListQuery) -> list[OrderView]:
        """At most `limit` rows in display order (for `backwards`: the rows nearest the
        keyset, still returned in display order)."""
        ...


class Change(msgspec.Struct, frozen=True, gc=False):
    """One row of the change log: the order as a committed batch left it."""

    change_id: int
    view: OrderView


class ChangeFilter(msgspec.Struct, frozen=True):
    order_id: str | None = None
    customer_id: str | None = None
    statuses: frozenset[OrderStatus] = frozenset()

    def matches(self, view: OrderView) -> bool:
        return (
            (self.order_id is None or view.order_id == self.order_id)
            and (self.customer_id is None or view.customer_id == self.customer_id)
            and (not self.statuses or view.status in self.statuses)
        )


class LiveMetrics(Protocol):
    def subscribers_changed(self, count: int) -> None: ...

    def subscriber_dropped(self, reason: str) -> None: ...

    def events_sent(self, count: int) -> None: ...

    def waiters_changed(self, count: int) -> None: ...

    def wait_ended(self, kind: str, outcome: str) -> None: ...


class ChangePage(msgspec.Struct, frozen=True):
    changes: list[Change]
    pruned_through: int  # changes up to this id may be gone
    last_id: int  # the highest id ever allocated (committed or not)


class ChangeLog(Protocol):
    async def page(self, after: int, until: int, filter_: ChangeFilter, limit: int) -> ChangePage:
        """Changes with after < id <= until that match, in id order, at most `limit`."""
        ...

    async def prune(self, older_than_seconds: float) -> int:
        """Delete changes committed longer ago than this; the number deleted."""
        ...
