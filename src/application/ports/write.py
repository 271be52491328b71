"""The write side's ports: what the worker reads records from and projects them through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence, Set
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

import msgspec

from domain.batch import BatchResult, OrderSnapshot
from domain.records import Envelope, RawRecord, Rejected
from domain.wire_format import WriterSchema

T = TypeVar("T")


class PartitionListener(Protocol):
    async def partitions_revoked(self, partitions: Set[int]) -> None: ...

    async def partitions_assigned(self, partitions: Set[int]) -> None: ...


class RecordSource(Protocol):
    """One topic, consumed as a member of a consumer group."""

    def subscribe(self, listener: PartitionListener) -> None: ...

    async def fetch(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        """At most `max_records` records of unpaused partitions, in offset order per partition."""
        ...

    async def seek(self, offsets: Mapping[int, int | None]) -> None:
        """Next offset to fetch per partition; None means the earliest one still in the log."""
        ...

    async def commit(self, positions: Sequence[Position]) -> None:
        """Copy positions to the broker for the standard tools; best effort, never raises."""
        ...

    def pause(self, partitions: Collection[int]) -> None: ...

    def resume(self, partitions: Collection[int]) -> None: ...


class ConsumerSource(RecordSource, Protocol):
    """A RecordSource that joins its consumer group when started and leaves it when stopped:
    the worker makes a new one at each start (`NewSource`) and stops it when it stops."""

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Leave the group at once, so that its partitions move on without a session timeout."""
        ...


NewSource = Callable[[], ConsumerSource]


class Position(msgspec.Struct, frozen=True):
    """The next offset to consume from one partition."""

    topic: str
    partition: int
    next_offset: int


class BatchWrite(msgspec.Struct, frozen=True):
    consumer_group: str
    result: BatchResult
    positions: tuple[Position, ...]


class ViewPart(Protocol):
    """A plug-in view's share of one projection transaction (entrypoints.views): it folds the
    events the stream's sequencing applied, in that order, and writes its own tables in the
    same transaction as the stream's positions, so it is exactly-once as they are."""

    async def project(self, applied: Sequence[Envelope]) -> None: ...


class ProjectionTransaction(Protocol):
    @property
    def view_parts(self) -> Mapping[str, ViewPart]:
        """The enabled plug-in views' parts of this transaction, by view name (none in a
        rebuild's shadow)."""
        ...

    async def load(self, order_ids: Collection[str]) -> dict[str, OrderSnapshot]:
        """Views and stashes of these orders, in one read; absent orders are left out."""
        ...

    async def save(self, write: BatchWrite) -> None:
        """Store changed views, new lines, stash changes and positions together; raises
        EventIdTaken when a view's last eventId is another order's."""
        ...


class ViewStore(Protocol):
    async def in_transaction(self, work: Callable[[ProjectionTransaction], Awaitable[T]]) -> T:
        """Run `work` in one transaction; re-run it whole on transient failures."""
        ...

    async def positions(self, consumer_group: str, topic: str) -> dict[int, int]:
        """Stored next offsets by partition for this group and topic."""
        ...

    async def stashed_count(self) -> int: ...


class EventIdTaken(Exception):
    """Raised by ProjectionTransaction.save: a view's last eventId is already the last
    eventId of another order (`dedup_event_id` is unique), a producer reusing an eventId."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"eventId {event_id!r} is already another order's last event")
        self.event_id = event_id


class DeadLetterSink(Protocol):
    async def publish(self, letters: Sequence[Rejected]) -> None:
        """Return only once every letter is durably acknowledged."""
        ...


class ProjectionMetrics(Protocol):
    def batch_projected(self, result: BatchResult, rejected: Sequence[Rejected]) -> None: ...

    def write_observed(self, seconds: float) -> None: ...

    def view_projected(self, view: str, seconds: float) -> None:
        """A plug-in view's part of one batch's transaction took `seconds`."""
        ...

    def records_decoded(self, formats: Mapping[str, int]) -> None:
        """Records the decoder accepted, by wire format (`json`, `avro`, `json-schema`)."""
        ...


class Spans(Protocol):
    def span(self, name: str, **attributes: Any) -> AbstractContextManager[Any]: ...


class BatchSpans(Spans, Protocol):
    def batch(
        self, records: Sequence[RawRecord], poll_started_ns: int | None = None
    ) -> AbstractContextManager[Any]:
        """The span of one consumed batch, current inside the block; `poll_started_ns`
        (time.time_ns() before the poll that returned `records`) gives it a `poll` child."""
        ...


class RegistryUnavailable(Exception):
    """The schema registry cannot be asked (unreachable, timing out, answering with an error):
    an outage to wait out, like the database's, never a reason to dead-letter a record."""


class SchemaSource(Protocol):
    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        """The schema registered under this id, or None when the registry does not know it;
        raises RegistryUnavailable when the registry cannot say."""
        ...
