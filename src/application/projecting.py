"""Use case: project a batch of consumed records into the views, exactly once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

import msgspec

from application.ports import (
    BatchWrite,
    DeadLetterSink,
    Position,
    ProjectionMetrics,
    ProjectionTransaction,
    Spans,
    ViewStore,
)
from domain.batch import BatchResult, apply_batch
from domain.decoding import decode_record
from domain.records import Accepted, RawRecord, Rejected


class BatchOutcome(msgspec.Struct, frozen=True):
    result: BatchResult
    rejected: tuple[Rejected, ...]
    positions: tuple[Position, ...]

    @property
    def records(self) -> int:
        """Records in the batch: each got exactly one decision (a released event got two)."""
        t = self.result.tally
        return t.applied_total - t.released + t.duplicates + t.late + t.gaps + len(self.rejected)


def next_positions(records: Sequence[RawRecord]) -> tuple[Position, ...]:
    """One position per partition: just past the last record of the batch."""
    latest: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        latest[key] = max(latest.get(key, -1), record.offset)
    return tuple(Position(t, p, offset + 1) for (t, p), offset in sorted(latest.items()))


class ProjectBatch:
    def __init__(
        self,
        store: ViewStore,
        dead_letters: DeadLetterSink,
        metrics: ProjectionMetrics,
        spans: Spans,
        consumer_group: str,
        default_tax_rate: Decimal = Decimal(0),
    ) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._spans = spans
        self._group = consumer_group
        self._default_tax_rate = default_tax_rate

    async def __call__(self, records: Sequence[RawRecord]) -> BatchOutcome:
        with self._spans.span("parse", records=len(records)):
            decoded = [decode_record(record) for record in records]
        accepted = [d.envelope for d in decoded if isinstance(d, Accepted)]
        rejected = tuple(d for d in decoded if isinstance(d, Rejected))
        positions = next_positions(records)
        if rejected:
            # Acknowledged before the positions move past them: a dead letter is never lost.
            with self._spans.span("dead_letters", count=len(rejected)):
                await self._dead_letters.publish(rejected)

        order_ids = {envelope.order_id for envelope in accepted}

        async def work(tx: ProjectionTransaction) -> BatchResult:
            snapshots = await tx.load(order_ids) if order_ids else {}
            result = apply_batch(snapshots, accepted, self._default_tax_rate)
            await tx.save(BatchWrite(self._group, result, positions))
            return result

        with self._spans.span("upsert", orders=len(order_ids)):
            started = time.perf_counter()
            result = await self._store.in_transaction(work)
            self._metrics.write_observed(time.perf_counter() - started)
        self._metrics.batch_projected(result, rejected)
        return BatchOutcome(result, rejected, positions)
