"""The customers view's rows held the way a store holds them: each batch's merged changes
written once per row, by the same pure functions the PostgreSQL upsert mirrors."""

from __future__ import annotations

from collections.abc import Iterable

from views.customers.domain import (
    BatchChanges,
    CurrencyKey,
    CurrencyTotals,
    CustomerSummary,
    OrderChange,
    apply_currency_change,
    apply_customer_change,
    merge_changes,
)
from views.customers.ports import CustomerDetail


class CustomerRows:
    def __init__(self) -> None:
        self.summaries: dict[str, CustomerSummary] = {}
        self.totals: dict[CurrencyKey, CurrencyTotals] = {}
        self.row_writes = 0

    def write(self, changes: Iterable[OrderChange]) -> BatchChanges:
        """Merge one batch's changes and write each touched row once; the merged changes."""
        merged = merge_changes(changes)
        for customer in merged.customers:
            held = self.summaries.get(customer.customer_id)
            self.summaries[customer.customer_id] = apply_customer_change(held, customer)
        for currency in merged.currencies:
            self.totals[currency.key] = apply_currency_change(
                self.totals.get(currency.key), currency
            )
        self.row_writes += len(merged.customers) + len(merged.currencies)
        return merged


class HeldCustomers:
    """The customers view's in-memory rows as views.customers.memory holds them (summaries,
    currencies, versions), seeded directly: what the in-memory reader reads."""

    def __init__(self) -> None:
        self.summaries: dict[str, CustomerSummary] = {}
        self.currencies: dict[CurrencyKey, CurrencyTotals] = {}
        self.versions: dict[str, int] = {}

    def hold(self, details: Iterable[CustomerDetail]) -> None:
        for detail in details:
            customer_id = detail.summary.customer_id
            self.summaries[customer_id] = detail.summary
            self.versions[customer_id] = detail.version
            for totals in detail.totals:
                self.currencies[totals.key] = totals
