"""A Kafka record as StreamView sees it, and what decoding makes of it."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from domain.events import OrderEvent

Headers = tuple[tuple[str, bytes], ...]

# gc=False: immutable values that hold nothing able to point back at them, so never part of a
# reference cycle; the cyclic collector then skips the millions made while ingesting (see
# domain/projection.py).


class RawRecord(msgspec.Struct, frozen=True, gc=False):
    """One record as consumed: where it came from and its untouched bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class DlqReason(StrEnum):
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_SEQUENCE = "missing_sequence"
    INVALID_SEQUENCE = "invalid_sequence"
    KEY_MISMATCH = "key_mismatch"
    FIRST_EVENT_NOT_CREATED = "first_event_not_created"
    UNSUPPORTED_VERSION = "unsupported_version"
    # A registry-framed value whose writer schema cannot be had: the registry does not know
    # its id, no registry is configured, or the schema is of a kind StreamView cannot read.
    UNKNOWN_SCHEMA = "unknown_schema"


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """An accepted record: the event, its per-order sequence and its tracing context."""

    event: OrderEvent
    sequence: int
    version: int = 1
    trace_id: str | None = None
    traceparent: str | None = None

    @property
    def order_id(self) -> str:
        return self.event.order_id

    @property
    def key(self) -> str:
        """The stream's key (domain.sequencing.Sequenced): the order."""
        return self.event.order_id

    @property
    def event_id(self) -> str:
        return self.event.event_id


class Accepted(msgspec.Struct, frozen=True, gc=False):
    record: RawRecord
    envelope: Envelope


class Rejected(msgspec.Struct, frozen=True, gc=False):
    record: RawRecord
    reason: DlqReason
    detail: str


Decoded = Accepted | Rejected
