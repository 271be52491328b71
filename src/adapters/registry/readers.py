"""Writer schemas from the registry, parsed once, reading the bodies written with them."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import jsonschema_rs
import msgspec

from domain.decoding import capped
from domain.records import DlqReason
from domain.wire_format import BodyRejected, WireFormat


class AvroReader:
    """Implements WriterSchema for an Avro schema (already parsed by fastavro)."""

    wire_format = WireFormat.AVRO

    def __init__(self, parsed: dict[str, Any]) -> None:
        self._parsed = parsed
        name = parsed.get("name") if isinstance(parsed, dict) else None
        self.record_name = name.rsplit(".", 1)[-1] if isinstance(name, str) else None

    def read(self, body: bytes) -> object:
        buffer = io.BytesIO(body)
        try:
            fields = fastavro.schemaless_reader(buffer, self._parsed, None)
        except Exception as error:  # fastavro raises whatever its reads meet on bad bytes
            raise BodyRejected(
                DlqReason.SCHEMA_VIOLATION,
                f"the Avro body does not decode with its writer schema: "
                f"{type(error).__name__}: {capped(str(error), 300)}",
            ) from None
        if buffer.tell() != len(body):
            raise BodyRejected(
                DlqReason.SCHEMA_VIOLATION,
                f"the Avro body has {len(body) - buffer.tell()} bytes left over after the record",
            )
        return fields


def _no_remote_references(uri: str) -> Any:
    """A registered schema may not make StreamView fetch anything: no I/O while decoding."""
    raise ValueError(f"remote reference {uri!r} is not followed")


class JsonSchemaReader:
    """Implements WriterSchema for a JSON Schema: checks a body against it (jsonschema-rs,
    compiled once per schema: the pure-Python validator managed a few thousand records/s)."""

    wire_format = WireFormat.JSON_SCHEMA
    record_name = None

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = jsonschema_rs.validator_for(schema, retriever=_no_remote_references)

    def read(self, body: bytes) -> object:
        try:
            instance = msgspec.json.decode(body)
        except msgspec.DecodeError as error:
            detail = f"value is not valid JSON: {error}"
            raise BodyRejected(DlqReason.INVALID_JSON, detail) from None
        try:
            if self._validator.is_valid(instance):
                return None
            violation = next(iter(self._validator.iter_errors(instance)))
        except Exception as failure:  # a value the validator cannot take (a huge integer)
            raise BodyRejected(
                DlqReason.SCHEMA_VIOLATION,
                f"could not be checked against its writer schema: {capped(str(failure), 300)}",
            ) from None
        where = "/".join(map(str, violation.instance_path)) or "(the body)"
        raise BodyRejected(
            DlqReason.SCHEMA_VIOLATION,
            f"does not match its writer schema at {where}: {capped(violation.message, 300)}",
        )


class UnreadableSchema:
    """Implements WriterSchema for a registered schema StreamView cannot read (Protobuf, or a
    schema that does not parse): every body written with it is a dead letter."""

    wire_format = WireFormat.AVRO
    record_name = None

    def __init__(self, why: str) -> None:
        self._why = why

    def read(self, body: bytes) -> object:
        raise BodyRejected(DlqReason.UNKNOWN_SCHEMA, self._why)
