"""Writer schemas from the registry, parsed once, reading the bodies written with them."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import jsonschema
from jsonschema.exceptions import best_match

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


class JsonSchemaReader:
    """Implements WriterSchema for a JSON Schema: checks a body against it."""

    wire_format = WireFormat.JSON_SCHEMA
    record_name = None

    def __init__(self, schema: dict[str, Any]) -> None:
        validator_class = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        self._validator = validator_class(schema)

    def read(self, body: bytes) -> object:
        try:
            instance = json.loads(body)
        except ValueError as error:
            detail = f"value is not valid JSON: {error}"
            raise BodyRejected(DlqReason.INVALID_JSON, detail) from None
        error = best_match(self._validator.iter_errors(instance))
        if error is not None:
            where = "/".join(map(str, error.absolute_path)) or "(the body)"
            raise BodyRejected(
                DlqReason.SCHEMA_VIOLATION,
                f"does not match its writer schema at {where}: {capped(error.message, 300)}",
            )
        return None


class UnreadableSchema:
    """Implements WriterSchema for a registered schema StreamView cannot read (Protobuf, or a
    schema that does not parse): every body written with it is a dead letter."""

    wire_format = WireFormat.AVRO
    record_name = None

    def __init__(self, why: str) -> None:
        self._why = why

    def read(self, body: bytes) -> object:
        raise BodyRejected(DlqReason.UNKNOWN_SCHEMA, self._why)
