"""The Confluent wire format: a registry-framed value is a magic byte 0, the writer schema's id
as 4 big-endian bytes, then an Avro or JSON Schema body.

Bare JSON never starts with a 0 byte (JSON text may only start with whitespace, a bracket, a
quote, a digit, `-`, `t`, `f` or `n`), so one byte tells the two apart and the bare JSON path
stays exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from domain.records import Accepted, DlqReason, RawRecord

MAGIC_BYTE = 0
FRAME_HEADER_BYTES = 5


class WireFormat(StrEnum):
    JSON = "json"  # bare JSON, no registry
    AVRO = "avro"
    JSON_SCHEMA = "json-schema"


class BodyRejected(Exception):
    """Raised by WriterSchema.read: the body does not match its writer schema."""

    def __init__(self, reason: DlqReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class WriterSchema(Protocol):
    """A schema from the registry, ready to read the bodies written with it (adapters parse it)."""

    @property
    def wire_format(self) -> WireFormat: ...

    @property
    def record_name(self) -> str | None:
        """The Avro record's name without its namespace (the event type); None for JSON Schema."""
        ...

    def read(self, body: bytes) -> object:
        """Avro: the record's fields as Python values (dicts, lists, str, datetime...). JSON
        Schema: checks the body against the schema (the caller decodes it as bare JSON, with
        the same rules), the return value means nothing. Raises BodyRejected when it does not
        fit."""
        ...


def schema_id(value: bytes) -> int | None:
    """The writer schema id of a framed value; None when it is too short to hold one."""
    if len(value) < FRAME_HEADER_BYTES:
        return None
    return int.from_bytes(value[1:FRAME_HEADER_BYTES], "big")


def schema_ids(records: Iterable[RawRecord]) -> set[int]:
    """The distinct writer schema ids of the framed values among `records`."""
    ids = set()
    for record in records:
        value = record.value
        if value is not None and value[:1] == b"\x00" and (found := schema_id(value)) is not None:
            ids.add(found)
    return ids


def subject(topic: str, event_type: str, wire_format: WireFormat) -> str:
    """The registry subject of an event type's schema: TopicRecordNameStrategy for Avro
    (`orders.events-OrderCreated`, what Confluent's serializers pick for a record named
    OrderCreated); JSON Schema ones get a suffix, since one subject holds one schema type."""
    name = f"{topic}-{event_type}"
    return name if wire_format is WireFormat.AVRO else f"{name}-json"


def formats_of(
    accepted: Sequence[Accepted], schemas: Mapping[int, WriterSchema] | None
) -> dict[str, int]:
    """How many of these accepted records came in each wire format."""
    counts: dict[str, int] = {}
    if schemas is None:  # no registry: every accepted record was bare JSON
        return {WireFormat.JSON.value: len(accepted)} if accepted else {}
    for decoded in accepted:
        value = decoded.record.value
        found = schema_id(value) if value and value[0] == MAGIC_BYTE else None
        writer = schemas.get(found) if found is not None else None
        name = WireFormat.JSON if writer is None else writer.wire_format
        counts[name.value] = counts.get(name.value, 0) + 1
    return counts
