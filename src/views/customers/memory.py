"""The customers view's tables in memory: the same semantics as PostgreSQL, for tests and the demo.

The read side reads the public dicts. A projection transaction's writes are held and become
visible when it commits (its `on_commit` hook), so a failed one leaves nothing; until then
the transaction reads its own writes, as it does in PostgreSQL. MemoryViewStore runs one
transaction at a time, so a move's compare-and-set is decided when it is called.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal

from views.customers.domain import (
    BatchChanges,
    CurrencyKey,
    CurrencyTotals,
    CustomerSummary,
    OrderContribution,
    apply_currency_change,
    apply_customer_change,
)
from views.customers.ports import ContributionMove, CustomerWrites
from views.customers.projecting import ProjectCustomers

OnCommit = Callable[[Callable[[], None]], None]


class MemoryCustomers:
    """customer_orders, customers_view (with its versions) and customer_totals_view."""

    def __init__(self) -> None:
        self.contributions: dict[str, OrderContribution] = {}
        self.summaries: dict[str, CustomerSummary] = {}
        self.currencies: dict[CurrencyKey, CurrencyTotals] = {}
        self.versions: dict[str, int] = {}  # +1 per write of the customer's row: its ETag

    def writes(self, on_commit: OnCommit) -> CustomerWrites:
        """The tables inside one transaction, whose commit runs the hook given to `on_commit`."""
        return _HeldWrites(self, on_commit)

    def part_on_commit(
        self, default_tax_rate: Decimal = Decimal(0)
    ) -> Callable[[OnCommit], ProjectCustomers]:
        """The view's part of each projection transaction of a MemoryViewStore."""

        def part(on_commit: OnCommit) -> ProjectCustomers:
            return ProjectCustomers(self.writes(on_commit), default_tax_rate)

        return part


class _HeldWrites:
    """Implements CustomerWrites: rows computed when written, installed at commit."""

    def __init__(self, tables: MemoryCustomers, on_commit: OnCommit) -> None:
        self._tables = tables
        self._contributions: dict[str, OrderContribution] = {}
        self._summaries: dict[str, CustomerSummary] = {}
        self._currencies: dict[CurrencyKey, CurrencyTotals] = {}
        self._versions: dict[str, int] = {}
        on_commit(self._commit)

    async def contributions(self, order_ids: Collection[str]) -> dict[str, OrderContribution]:
        found = {order_id: self._contribution(order_id) for order_id in order_ids}
        return {order_id: c for order_id, c in found.items() if c is not None}

    async def move(self, moves: Sequence[ContributionMove]) -> list[ContributionMove]:
        stored = []
        for move in moves:
            held = self._contribution(move.new.order_id)
            # The SQL's guard: the row holds `old`'s sequence, or there is no row for a new order.
            if _sequence(held) == _sequence(move.old):
                self._contributions[move.new.order_id] = move.new
                stored.append(move)
        return stored

    async def add(self, changes: BatchChanges) -> None:
        t = self._tables
        for customer in changes.customers:
            key = customer.customer_id
            held = self._summaries.get(key, t.summaries.get(key))
            self._summaries[key] = apply_customer_change(held, customer)
            self._versions[key] = self._versions.get(key, t.versions.get(key, 0)) + 1
        for currency in changes.currencies:
            key_ = currency.key
            held_totals = self._currencies.get(key_, t.currencies.get(key_))
            self._currencies[key_] = apply_currency_change(held_totals, currency)

    def _contribution(self, order_id: str) -> OrderContribution | None:
        return self._contributions.get(order_id, self._tables.contributions.get(order_id))

    def _commit(self) -> None:
        t = self._tables
        t.contributions.update(self._contributions)
        t.summaries.update(self._summaries)
        t.currencies.update(self._currencies)
        t.versions.update(self._versions)


def _sequence(contribution: OrderContribution | None) -> int:
    return 0 if contribution is None else contribution.last_event_sequence
