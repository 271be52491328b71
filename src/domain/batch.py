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
from domain.sequencing import Decision, decide, releasable


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

    A stashed event whose eventId is in `refused_event_ids` is not released when its gap
    closes: it leaves the stash unapplied (`BatchResult.refused`) and the order waits there.
    """
    views: dict[str, OrderView] = {}
    lines: list[OrderLine] = []
    stashed: dict[tuple[str, int], Envelope] = {}
    released: list[tuple[str, int]] = []
    tally = BatchTally()
    refused: list[Envelope] = []
    stash_of: dict[str, dict[int, Envelope]] = {}
    last_of: dict[str, OrderView | None] = {}

    for envelope in envelopes:
        order_id = envelope.event.order_id
        if order_id not in last_of:
            snapshot = snapshots.get(order_id) or OrderSnapshot()
            last_of[order_id] = snapshot.view
            stash_of[order_id] = dict(snapshot.stash)
        view, stash = last_of[order_id], stash_of[order_id]
        last = 0 if view is None else view.last_event_sequence

        match decide(last, envelope.sequence, stash):
            case Decision.DEDUP:
                tally.duplicates += 1
            case Decision.SKIP:
                tally.late += 1
            case Decision.STASH:
                tally.gaps += 1
                stash[envelope.sequence] = envelope
                stashed[(order_id, envelope.sequence)] = envelope
            case Decision.APPLY:
                following = _released_by(envelope, stash)
                for index, (seq, held) in enumerate(following):
                    if held.event.event_id in refused_event_ids:
                        refused.append(held)
                        del stash[seq]
                        if stashed.pop((order_id, seq), None) is None:
                            released.append((order_id, seq))
                        following = following[:index]
                        break
                for seq, ready in [(envelope.sequence, envelope), *following]:
                    projected = project(view, ready.event, seq, default_tax_rate)
                    view = projected.view
                    lines.extend(projected.new_lines)
                    tally.applied[event_type(ready.event)] += 1
                    if seq != envelope.sequence:
                        tally.released += 1
                        del stash[seq]
                        if stashed.pop((order_id, seq), None) is None:
                            released.append((order_id, seq))
                last_of[order_id] = views[order_id] = view  # type: ignore[assignment]

    return BatchResult(
        views=list(views.values()),
        new_lines=lines,
        stashed=list(stashed.values()),
        released=released,
        tally=tally,
        refused=refused,
    )


def _released_by(envelope: Envelope, stash: Mapping[int, Envelope]) -> list[tuple[int, Envelope]]:
    return releasable(envelope.sequence, stash) if stash else []
