"""The customers view's read side in memory (CustomerReader), over the view's in-memory rows.

Reads run between two awaits of the event loop, so each sees the rows of whole batches.
A listing sorts the customers that pass the filters: the in-memory backend is for demos and
tests, where that is a few thousand rows at most.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from views.customers.domain import CurrencyKey, CurrencyTotals, CustomerSummary
from views.customers.ports import (
    CustomerDetail,
    CustomerListQuery,
    CustomerSort,
    CustomerSortValue,
)


class CustomerRows(Protocol):
    """What the reader needs of the view's in-memory state (views.customers.memory)."""

    @property
    def summaries(self) -> Mapping[str, CustomerSummary]: ...

    @property
    def currencies(self) -> Mapping[CurrencyKey, CurrencyTotals]: ...

    @property
    def versions(self) -> Mapping[str, int]: ...


class MemoryCustomerReader:
    """Implements CustomerReader."""

    def __init__(self, rows: CustomerRows) -> None:
        self._rows = rows

    async def get_customer(self, customer_id: str) -> CustomerDetail | None:
        summary = self._rows.summaries.get(customer_id)
        if summary is None:
            return None
        return self._detail(summary, self._totals_by_customer({customer_id}))

    async def list_customers(self, query: CustomerListQuery) -> list[CustomerDetail]:
        f, rows = query.filters, self._rows
        chosen = [
            summary
            for summary in rows.summaries.values()
            if (f.currency is None or (summary.customer_id, f.currency) in rows.currencies)
            and (f.min_orders is None or summary.order_count >= f.min_orders)
            and (f.last_order_from is None or summary.last_order_at >= f.last_order_from)
            and (f.last_order_to is None or summary.last_order_at < f.last_order_to)
        ]
        key = self._sort_key(query.sort, f.currency)
        # Display order is descending; a keyset keeps what comes after it (before, backwards).
        chosen.sort(key=key, reverse=True)
        keyset = query.keyset
        if keyset is not None:
            anchor = (keyset.value, keyset.customer_id)
            if keyset.backwards:
                chosen = [s for s in chosen if key(s) > anchor][-query.limit :]
            else:
                chosen = [s for s in chosen if key(s) < anchor]
        page = chosen[: query.limit]
        totals = self._totals_by_customer({s.customer_id for s in page})
        return [self._detail(s, totals) for s in page]

    def _sort_key(
        self, sort: CustomerSort, currency: str | None
    ) -> Callable[[CustomerSummary], tuple[CustomerSortValue, str]]:
        currencies = self._rows.currencies
        if sort is CustomerSort.ORDER_COUNT:
            return lambda s: (s.order_count, s.customer_id)
        if sort is CustomerSort.TOTAL_GROSS:
            if currency is None:
                raise ValueError("-totalGross sorts within one currency: the query has none")
            return lambda s: (currencies[s.customer_id, currency].total_gross, s.customer_id)
        return lambda s: (s.last_order_at, s.customer_id)

    def _totals_by_customer(self, wanted: set[str]) -> dict[str, list[CurrencyTotals]]:
        found: dict[str, list[CurrencyTotals]] = {}
        for (customer_id, _), totals in self._rows.currencies.items():
            if customer_id in wanted:
                found.setdefault(customer_id, []).append(totals)
        return found

    def _detail(
        self, summary: CustomerSummary, totals: Mapping[str, Iterable[CurrencyTotals]]
    ) -> CustomerDetail:
        customer_id = summary.customer_id
        mine = sorted(totals.get(customer_id, ()), key=lambda t: t.currency)
        return CustomerDetail(summary, tuple(mine), self._rows.versions.get(customer_id, 0))
