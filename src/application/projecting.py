"""Use case: project a batch of consumed records into the views, exactly once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal

import msgspec

from application.ports import (
    BatchWrite,
    DeadLetterSink,
    EventIdTaken,
    Position,
    ProjectionMetrics,
    ProjectionTransaction,
    SchemaSource,
    Spans,
    ViewStore,
)
from application.writer_schemas import resolve
from domain.batch import BatchResult, OrderSnapshot, apply_batch
from domain.decoding import capped, decode_record
from domain.records import Accepted, DlqReason, Envelope, RawRecord, Rejected
from domain.wire_format import formats_of, schema_ids


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


# What projects a batch: a ProjectBatch, or the gate in front of one (rebuild/live_gate.py).
Project = Callable[[Sequence[RawRecord]], Awaitable[BatchOutcome]]


class ProjectBatch:
    def __init__(
        self,
        store: ViewStore,
        dead_letters: DeadLetterSink,
        metrics: ProjectionMetrics,
        spans: Spans,
        consumer_group: str,
        default_tax_rate: Decimal = Decimal(0),
        schemas: SchemaSource | None = None,
    ) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._spans = spans
        self._group = consumer_group
        self._default_tax_rate = default_tax_rate
        self._schemas = schemas  # None: no registry, a framed record is a dead letter

    async def __call__(self, records: Sequence[RawRecord]) -> BatchOutcome:
        # The writer schemas of framed records first: the one step of decoding that asks the
        # outside world, so RegistryUnavailable stops the batch before anything is written.
        schemas = None
        if self._schemas is not None:
            schemas = await resolve(self._schemas, schema_ids(records))
        with self._spans.span("parse", records=len(records)):
            decoded = [decode_record(record, schemas) for record in records]  # never raises
        accepted = [d for d in decoded if isinstance(d, Accepted)]
        self._metrics.records_decoded(formats_of(accepted, schemas))
        rejected = [d for d in decoded if isinstance(d, Rejected)]
        positions = next_positions(records)
        if rejected:
            # Acknowledged before the positions move past them: a dead letter is never lost.
            await self._publish(rejected)
        refused: set[str] = set()  # eventIds of stashed events that must not be released
        while True:
            try:
                result = await self._write(accepted, positions, refused)
                break
            except _Unprojectable as failure:
                # One event the projection cannot take (none is known to exist: this is the
                # net under the domain's bounds): it goes to the DLQ, the rest is written.
                detail = f"the event could not be projected: {failure.error!r}"
                culprit = failure.accepted
            except EventIdTaken as taken:
                # A producer reused an eventId: the batch's last event carrying it goes.
                holders = [a for a in accepted if a.envelope.event.event_id == taken.event_id]
                if not holders:
                    # A stashed event released by this batch: it leaves the stash as a dead
                    # letter of its own (see _write) and its order waits at that gap.
                    if taken.event_id in refused:
                        raise
                    refused.add(taken.event_id)
                    continue
                detail, culprit = f"{taken} (eventIds must be unique)", holders[-1]
            letter = Rejected(culprit.record, DlqReason.SCHEMA_VIOLATION, capped(detail))
            await self._publish([letter])
            rejected.append(letter)
            accepted.remove(culprit)
        # Stashed events dead-lettered on release are counted as dead letters, but they are
        # not records of this batch: BatchOutcome.rejected holds only those.
        refused_letters = [_refused_letter(e, accepted) for e in result.refused]
        self._metrics.batch_projected(result, [*rejected, *refused_letters])
        return BatchOutcome(result, tuple(rejected), positions)

    async def _publish(self, letters: list[Rejected]) -> None:
        with self._spans.span("dead_letters", count=len(letters)):
            await self._dead_letters.publish(letters)

    async def _write(
        self, accepted: list[Accepted], positions: tuple[Position, ...], refused: set[str]
    ) -> BatchResult:
        envelopes = [a.envelope for a in accepted]
        order_ids = {envelope.order_id for envelope in envelopes}

        async def work(tx: ProjectionTransaction) -> BatchResult:
            snapshots = await tx.load(order_ids) if order_ids else {}
            result = _applied(snapshots, accepted, envelopes, self._default_tax_rate, refused)
            if result.refused:
                # Sent before the transaction that takes them out of the stash commits: a
                # crash in between sends them again, it never loses them.
                await self._publish([_refused_letter(e, accepted) for e in result.refused])
            for view, part in tx.view_parts.items():
                with self._spans.span("view", view=view, events=len(result.applied)):
                    started = time.perf_counter()
                    await part.project(result.applied)
                    self._metrics.view_projected(view, time.perf_counter() - started)
            await tx.save(BatchWrite(self._group, result, positions))
            return result

        with self._spans.span("upsert", orders=len(order_ids)):
            started = time.perf_counter()
            result = await self._store.in_transaction(work)
            self._metrics.write_observed(time.perf_counter() - started)
        return result


class _Unprojectable(Exception):
    def __init__(self, accepted: Accepted, error: Exception) -> None:
        super().__init__(repr(error))
        self.accepted = accepted
        self.error = error


def _refused_letter(held: Envelope, accepted: Sequence[Accepted]) -> Rejected:
    """The dead letter of a stashed event whose eventId is another order's last one.

    The stash keeps the event, not its record: the letter carries the event re-encoded as
    CONTRACT §1 JSON, its key and sequence, on the partition of the record that released it
    (the same order, so the same partition), at offset -1 since the original one is unknown.
    """
    releaser = next(a.record for a in accepted if a.envelope.order_id == held.order_id)
    headers = [("x-sequence", str(held.sequence).encode())]
    if held.trace_id is not None:
        headers.append(("x-trace-id", held.trace_id.encode()))
    if held.traceparent is not None:
        headers.append(("traceparent", held.traceparent.encode()))
    record = RawRecord(
        topic=releaser.topic,
        partition=releaser.partition,
        offset=-1,
        key=held.order_id.encode(),
        value=msgspec.json.encode(held.event),
        headers=tuple(headers),
    )
    detail = (
        f"eventId {held.event.event_id!r} is already another order's last event (eventIds "
        f"must be unique); this event waited in the stash and was released by the record at "
        f"offset {releaser.offset}"
    )
    return Rejected(record, DlqReason.SCHEMA_VIOLATION, capped(detail))


def _applied(
    snapshots: Mapping[str, OrderSnapshot],
    accepted: Sequence[Accepted],
    envelopes: Sequence[Envelope],
    default_tax_rate: Decimal,
    refused: set[str],
) -> BatchResult:
    """apply_batch, or _Unprojectable naming the first event it fails on.

    apply_batch is pure and goes in delivery order, so a prefix fails if and only if it holds
    that event: a bisection over prefixes finds it in a few runs, on the failure path only.
    """
    try:
        return apply_batch(snapshots, envelopes, default_tax_rate, refused)
    except Exception as error:
        first_failure = error
    good, bad = 0, len(envelopes)  # the prefix of `good` events applies, that of `bad` fails
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            apply_batch(snapshots, envelopes[:middle], default_tax_rate, refused)
            good = middle
        except Exception as error:
            bad, first_failure = middle, error
    raise _Unprojectable(accepted[bad - 1], first_failure)
