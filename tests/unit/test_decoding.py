"""Raw record -> envelope or dead letter: one case per CONTRACT §3 reason, then what is accepted."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from domain.decoding import decode_record
from domain.events import (
    Identifier,
    OrderCreated,
    OrderItemAdded,
    OrderStatus,
    OrderStatusChanged,
    is_identifier,
)
from domain.records import Accepted, DlqReason, RawRecord, Rejected
from tests.support.events import Body, item, item_added, order_created, record, status_changed

pytestmark = pytest.mark.unit

R = DlqReason


def _created(**changes: Any) -> RawRecord:
    return record({**order_created(), **changes})


def _item(**changes: Any) -> RawRecord:
    return record(order_created(items=[{**item(), **changes}]))


def _without(body: Body, field: str) -> Body:
    return {k: v for k, v in body.items() if k != field}


def case(name: str, raw: RawRecord, reason: DlqReason, *fragments: str) -> Any:
    return pytest.param(raw, reason, fragments, id=name)


_DEEP = b"[" * 5000 + b"]" * 5000


REJECTIONS = [
    case("truncated", record(b'{"type": "OrderCreated"', key=b"o"), R.INVALID_JSON, "JSON"),
    case(
        "truncated after a wrong type",
        record(b'{"type": "OrderCreated", "orderId": 0, oops', key=b"o"),
        R.INVALID_JSON,
        "not valid JSON",
    ),
    case(
        "deeply nested extra field",
        record(b'{"type": "OrderCreated", "extra": ' + _DEEP + b"}", key=b"o"),
        R.INVALID_JSON,
        "nested too deeply",
    ),
    case(
        "deeply nested type",
        record(b'{"type": ' + _DEEP + b"}", key=b"o"),
        R.INVALID_JSON,
        "nested too deeply",
    ),
    case("lone surrogate", record(b'{"type": "\\ud800"}', key=b"o"), R.INVALID_JSON, "JSON"),
    case(
        "occurredAt past year 9999 in UTC",
        _created(occurredAt="9999-12-31T23:59:59-14:00"),
        R.SCHEMA_VIOLATION,
        "occurredAt",
    ),
    case(
        "occurredAt before year 1 in UTC",
        _created(occurredAt="0001-01-01T00:00:00+14:00"),
        R.SCHEMA_VIOLATION,
        "occurredAt",
    ),
    case("huge unknown type", _created(type="T" * 600_000), R.UNKNOWN_TYPE, "TTTT"),
    case("not utf-8", record(b"\xff\xfe", key=b"o"), R.INVALID_JSON, "JSON"),
    case("tombstone", record(None, key=b"o"), R.INVALID_JSON, "no value"),
    case(
        "missing", record(_without(order_created(), "customerId")), R.SCHEMA_VIOLATION, "customerId"
    ),
    case(
        "missing nested",
        record(order_created(items=[_without(item(), "qty")])),
        R.SCHEMA_VIOLATION,
        "qty",
        "$.items[0]",
    ),
    case("wrong type", _item(qty="2"), R.SCHEMA_VIOLATION, "$.items[0].qty"),
    case("qty 0", _item(qty=0), R.SCHEMA_VIOLATION, "$.items[0].qty"),
    case("qty 1,000,001", _item(qty=1_000_001), R.SCHEMA_VIOLATION, "$.items[0].qty"),
    case("price 3 decimals", _item(price="1.005"), R.SCHEMA_VIOLATION, "price", "$.items[0]"),
    case(
        "price 3 decimals number", record(item_added(price=1.005), 2), R.SCHEMA_VIOLATION, "price"
    ),
    case("negative price", _item(price="-0.01"), R.SCHEMA_VIOLATION, "price", "$.items[0]"),
    case("price NaN", _item(price="NaN"), R.SCHEMA_VIOLATION, "price"),
    case("price bool", _item(price=True), R.SCHEMA_VIOLATION, "$.items[0].price"),
    case("taxRate 1.5", record(item_added(tax_rate="1.5"), 2), R.SCHEMA_VIOLATION, "taxRate"),
    case("taxRate 13 decimals", _item(taxRate="0.1234567890123"), R.SCHEMA_VIOLATION, "taxRate"),
    case("taxRate 1E-20001", _item(taxRate="1E-20001"), R.SCHEMA_VIOLATION, "taxRate"),
    case("currency eur", _created(currency="eur"), R.SCHEMA_VIOLATION, "$.currency"),
    case("orderId of 65", _created(orderId="o" * 65), R.SCHEMA_VIOLATION, "$.orderId"),
    case("empty id", _created(customerId=""), R.SCHEMA_VIOLATION, "$.customerId"),
    case("NUL in id", _created(customerId="c\u0000"), R.SCHEMA_VIOLATION, "$.customerId"),
    case(
        "naive time", _created(occurredAt="2026-11-28T10:15:00"), R.SCHEMA_VIOLATION, "$.occurredAt"
    ),
    case(
        "unknown status", record(status_changed(status="LOST"), 2), R.SCHEMA_VIOLATION, "$.status"
    ),
    case("no type", record(_without(order_created(), "type")), R.SCHEMA_VIOLATION, "type"),
    case("not an object", record(b"[1, 2]", key=b"o"), R.SCHEMA_VIOLATION, "object"),
    case("unknown type", _created(type="OrderDeleted"), R.UNKNOWN_TYPE, "OrderDeleted"),
    case("no x-sequence", record(order_created(), None), R.MISSING_SEQUENCE, "x-sequence"),
    *[
        case(
            f"x-sequence {raw[:8]!r}",
            record(order_created(), raw),
            R.INVALID_SEQUENCE,
            "x-sequence",
        )
        for raw in ("0", "-1", "abc", "1.5", "", " 1", "²", "9" * 5000, str(2**63))
    ],
    case("created at 2", record(order_created(), 2), R.INVALID_SEQUENCE, "OrderCreated"),
    case(
        "key differs",
        record(order_created("order-1"), key=b"order-2"),
        R.KEY_MISMATCH,
        "order-2",
        "order-1",
    ),
    case("no key", record(order_created(), key=None), R.KEY_MISMATCH, "None"),
    case("seq 1 item added", record(item_added(), 1), R.FIRST_EVENT_NOT_CREATED, "OrderItemAdded"),
    case(
        "seq 1 status", record(status_changed(), 1), R.FIRST_EVENT_NOT_CREATED, "OrderStatusChanged"
    ),
    *[
        case(
            f"version {raw[:8]!r}",
            record(order_created(), headers={"x-event-version": raw}),
            R.UNSUPPORTED_VERSION,
            "x-event-version",
        )
        for raw in ("2", "0", "v1", "", "²", "9" * 5000)
    ],
    case(
        "registry-framed-without-a-registry",
        record(b"\x00\x00\x00\x00\x07{}", key=b"order-1"),
        R.UNKNOWN_SCHEMA,
        "schema id 7",
        "STREAMVIEW_SCHEMA_REGISTRY_URL",
    ),
]


@pytest.mark.parametrize(("raw", "reason", "fragments"), REJECTIONS)
def test_rejects_with_the_reason_and_a_detail_naming_the_field(
    raw: RawRecord, reason: DlqReason, fragments: tuple[str, ...]
) -> None:
    decoded = decode_record(raw)

    assert isinstance(decoded, Rejected)
    assert (decoded.reason, decoded.record) == (reason, raw)
    for fragment in fragments:
        assert fragment in decoded.detail
    assert len(decoded.detail) <= 1000  # it travels in a Kafka header, whatever was sent


def test_every_dlq_reason_has_a_case() -> None:
    assert {param.values[1] for param in REJECTIONS} == set(DlqReason)


def _accepted(raw: RawRecord) -> Accepted:
    decoded = decode_record(raw)
    assert isinstance(decoded, Accepted), decoded
    return decoded


@pytest.mark.parametrize("tax_rate", ["0.23", 0.23, "1", 0, "0.123456789012", "1.000000000000"])
def test_tax_rate_may_be_a_string_or_a_number(tax_rate: str | float) -> None:
    event = _accepted(record(item_added(tax_rate=tax_rate), 2)).envelope.event

    assert isinstance(event, OrderItemAdded)
    assert event.tax_rate == Decimal(str(tax_rate))


@pytest.mark.parametrize("price", ["19.99", 19.99, "7", 7, "0.5", 0])
def test_price_may_be_a_string_or_a_number(price: str | float) -> None:
    event = _accepted(record(item_added(price=price), 2)).envelope.event

    assert isinstance(event, OrderItemAdded)
    assert event.price == Decimal(str(price))


def test_unknown_extra_fields_are_ignored() -> None:
    body = order_created(items=[{**item(qty=2), "colour": "red"}])
    body.update(channel="web", nested={"anything": [1, 2]})

    event = _accepted(record(body)).envelope.event

    assert isinstance(event, OrderCreated)
    assert (event.customer_id, event.items[0].qty) == ("customer-1", 2)


def test_missing_event_version_means_version_1() -> None:
    assert _accepted(record(order_created())).envelope.version == 1
    assert (
        _accepted(record(order_created(), headers={"x-event-version": "1"})).envelope.version == 1
    )


def test_envelope_carries_sequence_and_trace_context() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    raw = record(
        status_changed("order-7", "SHIPPED"),
        5,
        headers={"x-trace-id": "trace-42", "traceparent": traceparent},
    )

    envelope = _accepted(raw).envelope

    assert isinstance(envelope.event, OrderStatusChanged)
    assert envelope.event.status is OrderStatus.SHIPPED
    assert (envelope.order_id, envelope.sequence) == ("order-7", 5)
    assert (envelope.trace_id, envelope.traceparent) == ("trace-42", traceparent)


def test_trace_headers_are_optional() -> None:
    envelope = _accepted(record(order_created())).envelope

    assert (envelope.trace_id, envelope.traceparent) == (None, None)


def test_decoded_values_are_typed() -> None:
    body = order_created(
        items=[item(qty=3, price=2, tax_rate="0.23")], occurred_at="2026-11-28T12:00:00+02:00"
    )

    event = _accepted(record(body)).envelope.event

    assert isinstance(event, OrderCreated)
    assert event.occurred_at.isoformat() == "2026-11-28T10:00:00+00:00"  # the instant, in UTC
    assert (event.items[0].price, event.items[0].tax_rate) == (Decimal(2), Decimal("0.23"))


@pytest.mark.parametrize(
    ("occurred_at", "utc"),
    [
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        ("0001-01-01T00:00:00-14:00", "0001-01-01T14:00:00+00:00"),
        ("2026-11-28T23:30:00-01:00", "2026-11-29T00:30:00+00:00"),
    ],
)
def test_occurred_at_is_kept_as_the_same_instant_in_utc(occurred_at: str, utc: str) -> None:
    event = _accepted(record(order_created(occurred_at=occurred_at))).envelope.event

    assert event.occurred_at.isoformat() == utc


@pytest.mark.parametrize(
    "headers",
    [
        {"x-trace-id": "trace\u0000id", "traceparent": "00-\u0000"},
        {"x-trace-id": b"\xff\xfe", "traceparent": b"\xc3"},
    ],
    ids=["NUL", "not utf-8"],
)
def test_trace_headers_that_jsonb_cannot_hold_are_dropped_not_the_event(
    headers: dict[str, str | bytes],
) -> None:
    envelope = _accepted(record(order_created(), headers=headers)).envelope

    assert (envelope.trace_id, envelope.traceparent) == (None, None)


def test_null_header_values_are_absent_headers() -> None:
    raw = record(order_created())
    raw = RawRecord(
        raw.topic, 0, 0, raw.key, raw.value,
        (*raw.headers, ("x-event-version", None), ("x-trace-id", None), ("traceparent", None)),  # type: ignore[arg-type]
    )  # fmt: skip

    envelope = _accepted(raw).envelope

    assert (envelope.version, envelope.trace_id, envelope.traceparent) == (1, None, None)


def test_a_null_x_sequence_is_a_missing_one() -> None:
    raw = record(order_created(), None, headers={})
    raw = RawRecord(raw.topic, 0, 0, raw.key, raw.value, (("x-sequence", None),))  # type: ignore[arg-type]

    decoded = decode_record(raw)

    assert isinstance(decoded, Rejected)
    assert decoded.reason is R.MISSING_SEQUENCE


def test_an_unforeseen_error_is_the_records_dead_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    import domain.decoding

    def broken(value: bytes | None) -> None:
        raise KeyError("something nobody foresaw")

    monkeypatch.setattr(domain.decoding, "_event", broken)

    decoded = decode_record(record(order_created()))

    assert isinstance(decoded, Rejected)
    assert decoded.reason is R.SCHEMA_VIOLATION
    assert "KeyError" in decoded.detail and "nobody foresaw" in decoded.detail


def test_nesting_past_the_limit_is_invalid_json_at_any_call_depth() -> None:
    from domain.decoding import MAX_NESTING

    deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    body = json.dumps(order_created())[:-1] + f', "extra": {deep}}}'

    def at_depth(frames: int) -> Any:  # the same record, deeper in the caller's stack
        return decode_record(record(body.encode())) if frames == 0 else at_depth(frames - 1)

    for frames in (0, 500):
        decoded = at_depth(frames)
        assert isinstance(decoded, Rejected) and decoded.reason is R.INVALID_JSON
        assert "nested too deeply" in decoded.detail


def test_brackets_in_strings_and_many_items_are_not_nesting() -> None:
    items = [item(item_id=f"i-{n}", sku="[{" * 30) for n in range(400)]
    body = {**order_created(items=items), "note": "[" * 1000}

    event = _accepted(record(body)).envelope.event

    assert isinstance(event, OrderCreated) and len(event.items) == 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [("o-1", True), ("x" * 64, True), ("", False), ("x" * 65, False), ("a\x00b", False)],
)
def test_the_identifier_rule_is_the_decoders(text: str, expected: bool) -> None:
    """What a path parameter is checked against (is_identifier) is what the decoder takes."""
    try:
        msgspec.convert({"id": text}, _Identified)
        decodes = True
    except msgspec.ValidationError:
        decodes = False

    assert is_identifier(text) is expected
    assert decodes is expected


class _Identified(msgspec.Struct):
    id: Identifier
