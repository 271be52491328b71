"""The contract of the schema registry as StreamView uses it: the catalog (register, check,
list) and the SchemaSource port, held to the same tests for the in-memory fake and the real
registry of the local stack.

Subclass `SchemaRegistryContract` (in a `test_*.py` module) and provide the fixtures
`registry` (a catalog: register/check/subjects), `source` (a SchemaSource over the same
registry) and `unreachable_source` (a SchemaSource whose registry cannot be reached).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from adapters.registry.catalog import RegistryRefused
from application.ports import RegistryUnavailable
from domain.decoding import decode_record
from domain.records import Accepted
from domain.wire_format import WireFormat, subject
from tests.support.events import order_created
from tests.support.registry import avro_value, avsc, framed_record, json_schema

AVRO, JSON = WireFormat.AVRO, WireFormat.JSON_SCHEMA


def _topic() -> str:
    return f"contract.{uuid.uuid4().hex[:10]}"


def _breaking_v2() -> dict[str, Any]:
    """OrderCreated with a new required field: BACKWARD refuses it (a v2 reader could not read
    v1 records, which lack the field). Removing a field would be BACKWARD compatible."""
    schema = copy.deepcopy(avsc("OrderCreated.v1"))
    schema["fields"].append({"name": "salesChannel", "type": "string"})
    return schema


class SchemaRegistryContract:
    async def test_a_registered_avro_schema_reads_bodies_by_its_id(
        self, registry: Any, source: Any
    ) -> None:
        schema_id = await registry.register(
            subject(_topic(), "OrderCreated", AVRO), avsc("OrderCreated.v1"), AVRO
        )
        body = order_created()

        writer = await source.writer_schema(schema_id)
        decoded = decode_record(
            framed_record(avro_value(schema_id, avsc("OrderCreated.v1"), body), body),
            {schema_id: writer},
        )

        assert (writer.wire_format, writer.record_name) == (AVRO, "OrderCreated")
        assert isinstance(decoded, Accepted), decoded

    async def test_a_registered_json_schema_comes_back_as_json_schema(
        self, registry: Any, source: Any
    ) -> None:
        schema_id = await registry.register(
            subject(_topic(), "OrderCreated", JSON), json_schema("OrderCreated"), JSON
        )

        writer = await source.writer_schema(schema_id)

        assert writer.wire_format is JSON

    async def test_registering_again_is_idempotent(self, registry: Any) -> None:
        name = subject(_topic(), "OrderStatusChanged", AVRO)
        first = await registry.register(name, avsc("OrderStatusChanged.v1"), AVRO)
        again = await registry.register(name, avsc("OrderStatusChanged.v1"), AVRO)

        listed = {s.subject: s for s in await registry.subjects()}

        assert again == first
        assert (listed[name].versions, listed[name].latest_id) == ((1,), first)

    async def test_an_unknown_id_is_none(self, source: Any) -> None:
        assert await source.writer_schema(2_000_000_000) is None

    async def test_backward_accepts_a_v2_with_an_optional_field(self, registry: Any) -> None:
        name = subject(_topic(), "OrderCreated", AVRO)
        v1 = await registry.register(name, avsc("OrderCreated.v1"), AVRO)

        verdict = await registry.check(name, avsc("OrderCreated.v2"), AVRO)
        v2 = await registry.register(name, avsc("OrderCreated.v2"), AVRO)

        assert verdict.compatible
        assert v2 != v1
        listed = {s.subject: s for s in await registry.subjects()}
        assert (listed[name].versions, listed[name].latest_id) == ((1, 2), v2)

    async def test_backward_refuses_a_v2_with_a_new_required_field(self, registry: Any) -> None:
        name = subject(_topic(), "OrderCreated", AVRO)
        await registry.register(name, avsc("OrderCreated.v1"), AVRO)

        verdict = await registry.check(name, _breaking_v2(), AVRO)

        assert not verdict.compatible
        with pytest.raises(RegistryRefused, match=name):
            await registry.register(name, _breaking_v2(), AVRO)

    async def test_a_new_subject_takes_any_schema(self, registry: Any) -> None:
        verdict = await registry.check(
            subject(_topic(), "OrderCreated", AVRO), _breaking_v2(), AVRO
        )

        assert verdict.compatible

    async def test_an_unreachable_registry_is_unavailable(self, unreachable_source: Any) -> None:
        with pytest.raises(RegistryUnavailable):
            await unreachable_source.writer_schema(1)
