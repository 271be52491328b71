"""Writing registry-framed values: what a producer using a registry's serializers sends."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import fastavro

from domain.wire_format import MAGIC_BYTE, WireFormat


def framed(schema_id: int, body: bytes) -> bytes:
    """Magic byte 0, the schema id as 4 big-endian bytes, the body."""
    return bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big") + body


def avro_body(parsed_schema: Any, fields: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema, dict(fields))
    return buffer.getvalue()


def avro_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """A CONTRACT §1 JSON body as the fields of its Avro record (deploy/schemas/*.avsc): no
    `type` (the record's name says it), occurredAt as a datetime, decimals as strings."""
    fields = {k: v for k, v in body.items() if k != "type"}
    occurred = fields.get("occurredAt")
    if isinstance(occurred, str):
        fields["occurredAt"] = datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    _decimals_as_strings(fields)
    if isinstance(fields.get("items"), list):
        fields["items"] = [_decimals_as_strings(dict(i)) for i in fields["items"]]
    return fields


def _decimals_as_strings(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("price", "taxRate"):
        if isinstance(fields.get(name), int | float):
            fields[name] = str(fields[name])
    if "price" in fields:  # optional in Avro too, but the writer wants every field named
        fields.setdefault("taxRate", None)
    return fields


class Reframer:
    """Re-encodes bare JSON event values as registry-framed ones, given each event type's
    writer schema id (and parsed Avro schema). A value that is not a known event (the
    generator's poison) is left as it is."""

    def __init__(
        self, wire_format: WireFormat, writers: Mapping[str, tuple[int, dict[str, Any] | None]]
    ) -> None:
        self._format = wire_format
        self._writers = {
            event_type: (schema_id, fastavro.parse_schema(avro) if avro is not None else None)
            for event_type, (schema_id, avro) in writers.items()
        }

    def value(self, value: bytes) -> bytes:
        try:
            body = json.loads(value)
        except ValueError:
            return value
        kind = body.get("type") if isinstance(body, dict) else None
        writer = self._writers.get(kind) if isinstance(kind, str) else None
        if writer is None:
            return value
        schema_id, parsed = writer
        if self._format is WireFormat.JSON_SCHEMA:
            return framed(schema_id, value)
        try:
            return framed(schema_id, avro_body(parsed, avro_fields(body)))
        except (ValueError, TypeError, KeyError, AttributeError):  # not encodable: as it came
            return value
