"""Use case: the customers view's part of a projection transaction (application.ports.ViewPart).

The orders stream's sequencing has decided the batch; this folds the events it applied into
the orders' contributions, and adds the difference each order's contribution made (old out,
new in) to its customer's rows: one write per customer and per (customer, currency) however
many of its orders the batch touched.

Another writer of the same orders (a zombie consumer after a rebalance, or the partition's new
owner) may commit between the sequencing's read of orders_view and the reads and moves here.
Each order's stored contribution says how far it got: events it already holds are not folded
again, and a move refused because the contribution moved meanwhile is folded again onto the
stored one with the events beyond it. The moves then chain from each stored contribution to
the next, so their differences add up to each event counted once, and the contribution ends
where orders_view does: at the furthest sequence any writer applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.records import Envelope
from views.customers.domain import (
    OrderChange,
    OrderContribution,
    change_of,
    contribute,
    merge_changes,
)
from views.customers.ports import ContributionMove, CustomerWrites


class ProjectCustomers:
    def __init__(self, writes: CustomerWrites, default_tax_rate: Decimal = Decimal(0)) -> None:
        self._writes = writes
        self._default_tax_rate = default_tax_rate

    async def project(self, applied: Sequence[Envelope]) -> None:
        if not applied:
            return
        events: dict[str, list[Envelope]] = {}
        for envelope in applied:
            events.setdefault(envelope.key, []).append(envelope)
        changes: list[OrderChange] = []
        refused: dict[str, int] = {}  # order -> the sequence its refused move came from
        while events:
            stored = await self._writes.contributions(events.keys())
            for key, sequence in refused.items():
                if _sequence(stored.get(key)) == sequence:  # a store that refuses for nothing
                    raise RuntimeError(f"the move of order {key!r} was refused, yet not moved")
            # Key order: two writers lock the rows in the same order.
            moves = [
                move
                for key in sorted(events)
                if (move := self._fold(stored.get(key), events[key])) is not None
            ]
            moved = await self._writes.move(moves)
            changes += [change_of(m.old, m.new) for m in moved]
            # Refused: another writer moved the order since it was read; again from there.
            done = {m.new.order_id for m in moved}
            refused = {
                m.new.order_id: _sequence(m.old) for m in moves if m.new.order_id not in done
            }
            events = {key: events[key] for key in refused}
        await self._writes.add(merge_changes(changes))

    def _fold(
        self, old: OrderContribution | None, envelopes: Sequence[Envelope]
    ) -> ContributionMove | None:
        """The move of `old` by the events it does not hold yet; None if it holds them all."""
        held, new = _sequence(old), old
        for envelope in envelopes:
            if envelope.sequence > held:
                new = contribute(new, envelope.event, envelope.sequence, self._default_tax_rate)
        return None if new is None or new is old else ContributionMove(old, new)


def _sequence(contribution: OrderContribution | None) -> int:
    return 0 if contribution is None else contribution.last_event_sequence
