"""What the use cases need from the outside world, named for the need, not the technology."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence, Set
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import msgspec

from domain.batch import BatchResult, OrderSnapshot
from domain.events import OrderStatus
from domain.projection import OrderLine, OrderView
from domain.records import RawRecord, Rejected

T = TypeVar("T")


# --- write side ---------------------------------------------------------------------------


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


class Position(msgspec.Struct, frozen=True):
    """The next offset to consume from one partition."""

    topic: str
    partition: int
    next_offset: int


class BatchWrite(msgspec.Struct, frozen=True):
    consumer_group: str
    result: BatchResult
    positions: tuple[Position, ...]


class ProjectionTransaction(Protocol):
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


# --- read side ----------------------------------------------------------------------------


class SortField(StrEnum):
    UPDATED_AT = "updatedAt"
    CREATED_AT = "createdAt"
    TOTAL_GROSS = "totalGross"
    ORDER_ID = "orderId"


SortValue = datetime | Decimal | str


class Sort(msgspec.Struct, frozen=True):
    field: SortField = SortField.UPDATED_AT
    descending: bool = True

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.field.value}"


class OrderFilters(msgspec.Struct, frozen=True):
    statuses: tuple[OrderStatus, ...] = ()
    customer_id: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


class Keyset(msgspec.Struct, frozen=True):
    """Rows strictly after (or, `backwards`, strictly before) this (sort value, orderId)."""

    value: SortValue
    order_id: str
    backwards: bool = False


class ListQuery(msgspec.Struct, frozen=True):
    filters: OrderFilters
    sort: Sort
    limit: int
    offset: int = 0
    keyset: Keyset | None = None


class OrderDetail(msgspec.Struct, frozen=True):
    view: OrderView
    lines: tuple[OrderLine, ...]


class OrderReader(Protocol):
    async def get_order(self, order_id: str) -> OrderDetail | None: ...

    async def list_orders(self, query: ListQuery) -> list[OrderView]:
        """At most `limit` rows in display order (for `backwards`: the rows nearest the
        keyset, still returned in display order)."""
        ...


# --- operations ---------------------------------------------------------------------------


class ConsumerState(StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    REBUILDING = "REBUILDING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"


class ConsumerStatus(Protocol):
    @property
    def state(self) -> ConsumerState: ...


class MemberState(msgspec.Struct, frozen=True):
    """What one worker process of a consumer group last said of itself, and how long ago."""

    member: str
    state: ConsumerState
    age_seconds: float


class ConsumerStates(Protocol):
    """The states of a consumer group's workers, shared between processes: each worker reports
    its own; an API-only process reads them to say where the group stands."""

    async def report(
        self, consumer_group: str, topic: str, member: str, state: ConsumerState
    ) -> None: ...

    async def members(self, consumer_group: str, topic: str) -> list[MemberState]:
        """Every member that reported for the group and topic (pruned after a day)."""
        ...


class EndOffsets(Protocol):
    async def end_offsets(self, topic: str) -> dict[int, int]:
        """The log end offset of every partition of `topic`."""
        ...


class ReadinessProbe(Protocol):
    name: str

    async def problem(self) -> str | None:
        """None when the dependency answers and is usable, else why not."""
        ...
