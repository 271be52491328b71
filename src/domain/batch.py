"""A batch of accepted events applied to the orders it touches: policy, projection and stash.

Pure: the caller loads the orders' snapshots, this decides everything in memory, the caller
writes the result in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal

import msgspec

from domain.events import event_type
from domain.projection import OrderLine, OrderView, project
from domain.records import Envelope
from domain.sequencing import KeyState, sequence_batch


class OrderSnapshot(msgspec.Struct):
    """What the store knows of one order: its view (None before OrderCreated) and its stash."""

    view: OrderView | None = None
    stash: dict[int, Envelope] = msgspec.field(default_factory=dict)


class BatchTally(msgspec.Struct):
    applied: Counter[str] = msgspec.field(default_factory=Counter)
    duplicates: int = 0
    late: int = 0
    gaps: int = 0
    # Applied from the stash once the gap closed: counted in `gaps` when it arrived and in
    # `applied` now, so the record count is applied - released + duplicates + late + gaps.
    released: int = 0

    @property
    def applied_total(self) -> int:
        return sum(self.applied.values())


class BatchResult(msgspec.Struct):
    views: list[OrderView]
    new_lines: list[OrderLine]
    stashed: list[Envelope]
    released: list[tuple[str, int]]
    tally: BatchTally
    # Stashed events taken out of the stash unapplied, because their eventId was refused:
    # the caller dead-letters them (their order then waits at that gap, as for any dead letter).
    refused: list[Envelope] = msgspec.field(default_factory=list)
    # Every event applied, in the order applied: what the stream's other views fold.
    applied: list[Envelope] = msgspec.field(default_factory=list)

    @property
    def stash_delta(self) -> int:
        return len(self.stashed) - len(self.released)


def apply_batch(
    snapshots: Mapping[str, OrderSnapshot],
    envelopes: Iterable[Envelope],
    default_tax_rate: Decimal = Decimal(0),
    refused_event_ids: Collection[str] = (),
) -> BatchResult:
    """Apply `envelopes` in delivery order to copies of `snapshots` (missing = new order).

    The stream's sequencing decides (domain.sequencing.sequence_batch); the order projection
    folds what it applied. A stashed event whose eventId is in `refused_event_ids` is not
    released when its gap closes: it leaves the stash unapplied (`BatchResult.refused`) and
    the order waits there.
    """
    states = {
        order_id: KeyState(
            0 if snapshot.view is None else snapshot.view.last_event_sequence, snapshot.stash
        )
        for order_id, snapshot in snapshots.items()
    }
    decided = sequence_batch(states, envelopes, refused_event_ids)
    views: dict[str, OrderView] = {}
    lines: list[OrderLine] = []
    applied: Counter[str] = Counter()
    for envelope in decided.applied:
        order_id = envelope.event.order_id
        view = views.get(order_id)
        if view is None:
            snapshot = snapshots.get(order_id)
            view = None if snapshot is None else snapshot.view
        projected = project(view, envelope.event, envelope.sequence, default_tax_rate)
        views[order_id] = projected.view
        lines.extend(projected.new_lines)
        applied[event_type(envelope.event)] += 1
    tally = BatchTally(
        applied, decided.duplicates, decided.late, decided.gaps, released=decided.from_stash
    )
    return BatchResult(
        views=list(views.values()),
        new_lines=lines,
        stashed=decided.stashed,
        released=decided.released,
        tally=tally,
        refused=decided.refused,
        applied=decided.applied,
    )
