"""Registry-framed records for tests: the committed schemas, read by the real readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastavro

from adapters.registry.framing import avro_body, avro_fields, framed
from adapters.registry.readers import AvroReader, JsonSchemaReader
from application.writer_schemas import RegistryUnavailable
from domain.wire_format import WriterSchema
from tests.support.events import Body, record

SCHEMAS = Path(__file__).resolve().parents[2] / "deploy" / "schemas"


def avsc(name: str) -> dict[str, Any]:
    """A committed Avro schema, e.g. avsc("OrderCreated.v1")."""
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.avsc").read_text("utf-8"))
    return schema


def json_schema(event_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{event_type}.v1.json").read_text("utf-8"))
    return schema


def avro_value(schema_id: int, schema: dict[str, Any], body: Body) -> bytes:
    return framed(schema_id, avro_body(fastavro.parse_schema(schema), avro_fields(body)))


def json_schema_value(schema_id: int, body: Body) -> bytes:
    return framed(schema_id, json.dumps(body).encode())


def framed_record(value: bytes, body: Body, sequence: int = 1, **options: Any) -> Any:
    return record(value, sequence, key=body["orderId"].encode(), **options)


class FakeSchemaSource:
    """An in-memory registry behind the SchemaSource port; counts its lookups."""

    def __init__(self) -> None:
        self.schemas: dict[int, WriterSchema] = {}
        self.lookups: list[int] = []
        self.down = False

    def add_avro(self, schema_id: int, schema: dict[str, Any]) -> int:
        self.schemas[schema_id] = AvroReader(fastavro.parse_schema(schema))
        return schema_id

    def add_json(self, schema_id: int, schema: dict[str, Any]) -> int:
        self.schemas[schema_id] = JsonSchemaReader(schema)
        return schema_id

    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        self.lookups.append(schema_id)
        if self.down:
            raise RegistryUnavailable("the fake registry is down")
        return self.schemas.get(schema_id)
