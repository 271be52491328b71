"""Use case: the customers view's part of a projection transaction (application.ports.ViewPart).

The orders stream's sequencing has decided the batch; this folds the events it applied into
the orders' contributions, and adds the difference each order's contribution made (old out,
new in) to its customer's rows: one write per customer and per (customer, currency) however
many of its orders the batch touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.records import Envelope
from views.customers.domain import change_of, contribute, merge_changes
from views.customers.ports import ContributionMove, CustomerWrites


class ProjectCustomers:
    def __init__(self, writes: CustomerWrites, default_tax_rate: Decimal = Decimal(0)) -> None:
        self._writes = writes
        self._default_tax_rate = default_tax_rate

    async def project(self, applied: Sequence[Envelope]) -> None:
        if not applied:
            return
        before = await self._writes.contributions({e.key for e in applied})
        after = dict(before)
        for envelope in applied:
            after[envelope.key] = contribute(
                after.get(envelope.key), envelope.event, envelope.sequence, self._default_tax_rate
            )
        # Key order: two writers lock the rows in the same order.
        moves = [ContributionMove(before.get(key), after[key]) for key in sorted(after)]
        moved = await self._writes.move(moves)
        await self._writes.add(merge_changes(change_of(m.old, m.new) for m in moved))
