"""Registry-framed records for tests: the committed schemas, read by the real readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import fastavro

from adapters.registry.catalog import RegistryRefused, SubjectInfo, Verdict
from adapters.registry.framing import avro_body, avro_fields, framed
from adapters.registry.readers import AvroReader, JsonSchemaReader
from application.ports import RegistryUnavailable, SchemaSource
from domain.wire_format import WireFormat, WriterSchema
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
        self.schemas[schema_id] = AvroReader(cast("dict[str, Any]", fastavro.parse_schema(schema)))
        return schema_id

    def add_json(self, schema_id: int, schema: dict[str, Any]) -> int:
        self.schemas[schema_id] = JsonSchemaReader(schema)
        return schema_id

    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        self.lookups.append(schema_id)
        if self.down:
            raise RegistryUnavailable("the fake registry is down")
        return self.schemas.get(schema_id)


class FakeRegistry:
    """An in-memory registry for the contract suite: content ids shared across subjects,
    idempotent registration, and BACKWARD for Avro records reduced to its two usual breaks
    (a new field without a default, a field whose type changed)."""

    def __init__(self) -> None:
        self.source = FakeSchemaSource()
        self._ids: dict[str, int] = {}
        self._subjects: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    async def register(self, subject: str, schema: dict[str, Any], kind: WireFormat) -> int:
        versions = self._subjects.setdefault(subject, [])
        canonical = json.dumps(schema, sort_keys=True)
        known = self._ids.get(canonical)
        if known is not None and any(i == known for i, _ in versions):
            return known
        if versions and not (await self.check(subject, schema, kind)).compatible:
            raise RegistryRefused(f"{subject}: incompatible with the latest version")
        schema_id = known or len(self._ids) + 1
        self._ids[canonical] = schema_id
        if kind is WireFormat.AVRO:
            self.source.add_avro(schema_id, schema)
        else:
            self.source.add_json(schema_id, schema)
        versions.append((schema_id, schema))
        return schema_id

    async def check(self, subject: str, schema: dict[str, Any], kind: WireFormat) -> Verdict:
        versions = self._subjects.get(subject)
        if not versions:
            return Verdict(True, "new subject")
        if kind is not WireFormat.AVRO:
            return Verdict(True)
        old = {f["name"]: f for f in versions[-1][1].get("fields", [])}
        for field in schema.get("fields", []):
            before = old.get(field["name"])
            if before is None and "default" not in field:
                return Verdict(False, f"new field {field['name']!r} has no default")
            if before is not None and before["type"] != field["type"]:
                return Verdict(False, f"field {field['name']!r} changed type")
        return Verdict(True)

    async def subjects(self) -> list[SubjectInfo]:
        return [
            SubjectInfo(name, tuple(range(1, len(v) + 1)), v[-1][0] if v else None)
            for name, v in sorted(self._subjects.items())
        ]


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    source: SchemaSource = FakeSchemaSource()
    del source
