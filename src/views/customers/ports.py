"""The customers view's ports: its tables inside a projection transaction, and its reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import msgspec

from views.customers.domain import BatchChanges, OrderContribution


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
