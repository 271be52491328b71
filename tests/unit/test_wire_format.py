"""Registry-framed values (Avro, JSON Schema) decode to the same events as bare JSON; every
way they can fail is a dead letter with a reason, never an exception."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.registry.readers import AvroReader, JsonSchemaReader, UnreadableSchema
from domain.decoding import decode_record
from domain.records import Accepted, DlqReason, Rejected
from domain.wire_format import schema_id, schema_ids
from tests.support.events import Body, item, item_added, order_created, record, status_changed
from tests.support.registry import (
    FakeSchemaSource,
    avro_value,
    avsc,
    framed_record,
    json_schema,
    json_schema_value,
)

pytestmark = pytest.mark.unit

BODIES = {
    "OrderCreated": (
        order_created(items=[item(price="19.99", tax_rate="0.23"), item("i2", qty=3)]),
        1,
    ),
    "OrderItemAdded": (item_added(price=5, tax_rate="0.5"), 2),
    "OrderStatusChanged": (status_changed(status="SHIPPED"), 3),
}


def _schemas() -> dict[int, Any]:
    fake = FakeSchemaSource()
    for n, event_type in enumerate(BODIES, start=1):
        fake.add_avro(10 + n, avsc(f"{event_type}.v1"))
        fake.add_json(20 + n, json_schema(event_type))
    fake.add_avro(30, avsc("OrderCreated.v2"))
    return fake.schemas


SCHEMAS = _schemas()
AVRO_ID = {t: 10 + n for n, t in enumerate(BODIES, start=1)}
JSON_ID = {t: 20 + n for n, t in enumerate(BODIES, start=1)}


def _bare(body: Body, sequence: int) -> Any:
    decoded = decode_record(record(body, sequence))
    assert isinstance(decoded, Accepted), decoded
    return decoded.envelope


def _rejected(value: bytes, body: Body, schemas: Any = SCHEMAS, sequence: int = 1) -> Rejected:
    decoded = decode_record(framed_record(value, body, sequence), schemas)
    assert isinstance(decoded, Rejected), decoded
    return decoded


@pytest.mark.parametrize("event_type", sorted(BODIES))
def test_avro_decodes_to_the_same_envelope_as_bare_json(event_type: str) -> None:
    body, sequence = BODIES[event_type]
    value = avro_value(AVRO_ID[event_type], avsc(f"{event_type}.v1"), body)

    decoded = decode_record(framed_record(value, body, sequence), SCHEMAS)

    assert isinstance(decoded, Accepted), decoded
    assert decoded.envelope == _bare(body, sequence)


@pytest.mark.parametrize("event_type", sorted(BODIES))
def test_json_schema_decodes_to_the_same_envelope_as_bare_json(event_type: str) -> None:
    body, sequence = BODIES[event_type]
    value = json_schema_value(JSON_ID[event_type], body)

    decoded = decode_record(framed_record(value, body, sequence), SCHEMAS)

    assert isinstance(decoded, Accepted), decoded
    assert decoded.envelope == _bare(body, sequence)


def test_the_v1_reader_reads_v2_with_the_added_optional_field() -> None:
    body = {**BODIES["OrderCreated"][0], "salesChannel": "web"}
    value = avro_value(30, avsc("OrderCreated.v2"), body)

    decoded = decode_record(framed_record(value, body), SCHEMAS)

    assert isinstance(decoded, Accepted), decoded
    assert decoded.envelope == _bare(BODIES["OrderCreated"][0], 1)


def test_bare_json_is_unchanged_with_or_without_a_registry() -> None:
    body, _ = BODIES["OrderCreated"]

    assert decode_record(record(body), SCHEMAS) == decode_record(record(body))


def test_a_framed_value_without_a_registry_is_unknown_schema_naming_the_setting() -> None:
    body, _ = BODIES["OrderCreated"]
    value = avro_value(11, avsc("OrderCreated.v1"), body)

    rejected = _rejected(value, body, schemas=None)

    assert rejected.reason is DlqReason.UNKNOWN_SCHEMA
    assert "schema id 11" in rejected.detail
    assert "STREAMVIEW_SCHEMA_REGISTRY_URL" in rejected.detail


def test_an_id_the_registry_does_not_know_is_unknown_schema() -> None:
    body, _ = BODIES["OrderCreated"]

    rejected = _rejected(avro_value(999, avsc("OrderCreated.v1"), body), body)

    assert (rejected.reason, rejected.detail) == (
        DlqReason.UNKNOWN_SCHEMA,
        "the registry does not know schema id 999",
    )


@pytest.mark.parametrize("value", [b"\x00", b"\x00\x00\x00\x0b"], ids=["magic-only", "4-bytes"])
def test_a_frame_too_short_for_a_schema_id_is_unknown_schema(value: bytes) -> None:
    rejected = _rejected(value, BODIES["OrderCreated"][0])

    assert rejected.reason is DlqReason.UNKNOWN_SCHEMA
    assert f"has {len(value)} bytes" in rejected.detail


def test_a_corrupt_avro_body_is_a_schema_violation() -> None:
    body, _ = BODIES["OrderCreated"]
    value = avro_value(11, avsc("OrderCreated.v1"), body)

    rejected = _rejected(value[:-7], body)

    assert rejected.reason is DlqReason.SCHEMA_VIOLATION
    assert rejected.detail.startswith("schema id 11: the Avro body does not decode")


def test_bytes_left_over_after_the_avro_record_are_a_schema_violation() -> None:
    body, _ = BODIES["OrderStatusChanged"]
    value = avro_value(13, avsc("OrderStatusChanged.v1"), body) + b"\x02junk"

    rejected = _rejected(value, body, sequence=3)

    assert rejected.reason is DlqReason.SCHEMA_VIOLATION
    assert "5 bytes left over" in rejected.detail


def test_an_avro_record_breaking_the_contract_is_a_schema_violation() -> None:
    body = order_created(items=[item(qty=0)])

    rejected = _rejected(avro_value(11, avsc("OrderCreated.v1"), body), body)

    assert rejected.reason is DlqReason.SCHEMA_VIOLATION
    assert "qty" in rejected.detail


def test_an_avro_record_named_for_no_event_type_is_unknown_type() -> None:
    schema = copy.deepcopy(avsc("OrderStatusChanged.v1"))
    schema["name"] = "OrderRefunded"
    fake = FakeSchemaSource()
    fake.add_avro(40, schema)
    body = status_changed()

    rejected = _rejected(avro_value(40, schema, body), body, schemas=fake.schemas, sequence=3)

    assert rejected.reason is DlqReason.UNKNOWN_TYPE
    assert "'OrderRefunded'" in rejected.detail


def test_a_framed_json_schema_body_that_is_not_json_is_invalid_json() -> None:
    body, _ = BODIES["OrderCreated"]

    rejected = _rejected(json_schema_value(21, body)[:-1], body)

    assert rejected.reason is DlqReason.INVALID_JSON


def test_a_json_schema_body_its_writer_schema_refuses_is_a_schema_violation() -> None:
    stricter = {**json_schema("OrderStatusChanged"), "required": ["channel"]}
    fake = FakeSchemaSource()
    fake.add_json(50, stricter)
    body = status_changed()

    rejected = _rejected(json_schema_value(50, body), body, schemas=fake.schemas, sequence=3)

    assert rejected.reason is DlqReason.SCHEMA_VIOLATION
    assert "channel" in rejected.detail and "required property" in rejected.detail


def test_a_json_schema_body_breaking_the_contract_is_rejected_as_bare_json_would_be() -> None:
    body = status_changed(status="LOST")

    rejected = _rejected(json_schema_value(23, body), body, sequence=3)

    assert rejected.reason is DlqReason.SCHEMA_VIOLATION
    assert "status" in rejected.detail


def test_a_schema_streamview_cannot_read_is_unknown_schema() -> None:
    body = status_changed()
    schemas = {60: UnreadableSchema("schema id 60 is PROTOBUF")}

    rejected = _rejected(json_schema_value(60, body), body, schemas=schemas, sequence=3)

    assert (rejected.reason, rejected.detail) == (
        DlqReason.UNKNOWN_SCHEMA,
        "schema id 60: schema id 60 is PROTOBUF",
    )


def test_an_avro_reader_reports_its_record_name_without_namespace() -> None:
    schema = {**avsc("OrderStatusChanged.v1"), "namespace": "com.shop"}

    assert AvroReader(__import__("fastavro").parse_schema(schema)).record_name == (
        "OrderStatusChanged"
    )


def test_schema_ids_are_read_from_framed_values_only() -> None:
    body = status_changed()
    records = [
        record(body, 3),
        framed_record(json_schema_value(7, body), body),
        framed_record(json_schema_value(7, body), body),
        framed_record(b"\x00\x01\x00\x00\x00", body),
        framed_record(b"\x00\x01", body),
        record(None),
    ]

    assert schema_ids(records) == {7, 2**24}
    assert schema_id(b"\x00\x00\x00\x01\x00" + json.dumps(body).encode()) == 256


_VALID_AVRO = avro_value(
    11, avsc("OrderCreated.v1"), order_created(items=[item(), item("i2", tax_rate="0.1")])
)


@settings(max_examples=300, deadline=None)
@given(
    flips=st.lists(
        st.tuples(st.integers(5, len(_VALID_AVRO) - 1), st.integers(0, 255)), max_size=6
    ),
    cut=st.integers(5, len(_VALID_AVRO)),
    tail=st.binary(max_size=12),
)
def test_a_mangled_avro_body_is_a_decision_never_an_exception(
    flips: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    value = bytearray(_VALID_AVRO)
    for position, byte in flips:
        value[position] = byte
    body = order_created()

    decoded = decode_record(framed_record(bytes(value[:cut]) + tail, body), SCHEMAS)

    assert isinstance(decoded, Accepted | Rejected)
    if isinstance(decoded, Rejected):
        assert decoded.reason in {
            DlqReason.SCHEMA_VIOLATION,
            DlqReason.KEY_MISMATCH,
            DlqReason.INVALID_SEQUENCE,
        }, decoded


def test_a_json_schema_with_a_remote_reference_is_never_fetched() -> None:
    remote = {"$ref": "http://127.0.0.1:9/elsewhere.json"}

    with pytest.raises(ValueError, match="not followed"):
        JsonSchemaReader(remote)
