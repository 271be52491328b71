"""Hostile records: hypothesis strategies for the fuzz suite, and a fixed poison corpus.

What producers can put on a topic that a decoder, a tracer, a DLQ or a database may choke
on: random bytes, truncated and deeply nested JSON, extreme numbers and times, NUL, lone
surrogate escapes and other odd unicode, null and random headers, huge fields.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from domain.records import Headers
from tests.support.events import at, item

# Few enough that sequences meet (dedup, late, gaps), enough that some stay fresh for long.
ORDER_IDS = tuple(f"order-{letter}" for letter in "abcdefghijklmnopqrst")
TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
DEEP = "[" * 3000 + "]" * 3000

ODD_TEXT = st.one_of(
    st.sampled_from(
        [
            "", "\x00", "a\x00b", "\u202e", "\U0001f600", "\\", '"', "\n", "\ufeff", "\uffff",
            "x" * 70, "ż" * 64,
        ]
    ),
    st.text(max_size=20),
)  # fmt: skip
# Inserted as raw JSON text: escapes json.dumps would never write.
RAW_ESCAPES = st.sampled_from(['"\\ud800"', '"\\udfff x"', '"\\u0000"', '"\\x41"', '"\\uZZZZ"'])
TIMES = st.one_of(
    st.just(at()),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-14:00",
            "2026-13-01T00:00:00Z", "2026-11-28T10:15:00", "2026-11-28T24:00:00Z",
            "2026-11-28T10:15:00+99:00", "",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e400", "-0", "NaN", "Infinity", "0.001", "1" * 400, "1E-20001", "1e9999"]),
)


def _bad_values() -> st.SearchStrategy[Any]:
    return st.one_of(ODD_TEXT, NUMBERS, st.none(), st.lists(st.integers(), max_size=3), TIMES)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str | None, bytes, bytes]:
    """(orderId the body claims, if a string; the value bytes; the sequence its type calls
    for). Half are valid events, the rest have one thing wrong with them, from a field's
    value to the JSON itself."""
    kind = draw(st.sampled_from(["OrderCreated", "OrderItemAdded", "OrderStatusChanged"]))
    order_id: Any = draw(st.sampled_from(ORDER_IDS))
    body: dict[str, Any] = {
        "type": kind,
        "eventId": f"evt-{draw(st.integers(0, 10**6))}",
        "occurredAt": draw(st.one_of(st.just(at()), TIMES)),
        "orderId": order_id,
    }
    line = item(qty=draw(st.integers(1, 5)), price="9.99", tax_rate="0.23")
    if kind == "OrderCreated":
        body |= {"customerId": "customer-1", "currency": "EUR", "items": [line]}
    elif kind == "OrderItemAdded":
        body |= line
    else:
        body["status"] = draw(st.sampled_from(["PAID", "SHIPPED", "CANCELLED"]))
    how = (
        "valid"
        if _often(draw, 1)
        else draw(st.sampled_from(["field", "item", "truncated", "deep", "escape", "huge"]))
    )
    if how == "field":
        body[draw(st.sampled_from(sorted(body)))] = draw(_bad_values())
    elif how == "item" and kind == "OrderCreated":
        body["items"] = [line | {draw(st.sampled_from(sorted(line))): draw(_bad_values())}]
    order_id = body["orderId"]
    text = json.dumps(body)
    match how:
        case "truncated":
            text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
        case "deep":
            text = (
                text[:-1] + f', "extra": {DEEP}}}' if draw(st.booleans()) else f'{{"type": {DEEP}}}'
            )
        case "escape":
            text = (
                text[:-1]
                + f', "{draw(st.sampled_from(["type", "orderId", "x"]))}": {draw(RAW_ESCAPES)}}}'
            )
        case "huge":
            text = (
                text[:-1]
                + f', "{draw(st.sampled_from(["type", "customerId", "x"]))}": "{"H" * 200_000}"}}'
            )
    later = draw(st.sampled_from([2, 2, 2, 3, 4]))  # mostly right after OrderCreated
    natural = b"1" if kind == "OrderCreated" else str(later).encode()
    return (order_id if isinstance(order_id, str) else None), text.encode(), natural


def _often(draw: st.DrawFn, odds: int) -> bool:
    """True `odds` times in `odds + 1`: one_of does not weigh its branches."""
    return draw(st.integers(0, odds)) != 0


def sequences() -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.integers(1, 4).map(lambda n: str(n).encode()),
        st.sampled_from([b"0", b"-1", b"", b" 1", b"\xb2", b"9" * 5000, str(2**63).encode()]),
        st.binary(max_size=8),
        st.none(),
    )  # fmt: skip


@st.composite
def headers(draw: st.DrawFn, natural: bytes = b"1") -> Headers:
    found: list[tuple[str, bytes | None]] = []
    if _often(draw, 12):
        found.append(("x-sequence", natural if _often(draw, 12) else draw(sequences())))
    optional = {
        "x-event-version": st.sampled_from([b"1", b"1", b"1", b"2", b"", b"9" * 5000, None]),
        "x-trace-id": st.one_of(st.sampled_from([b"t-1", b"t\x00", b"\xff"]), st.none()),
        "traceparent": st.one_of(
            st.sampled_from([TRACEPARENT, b"00-zz", TRACEPARENT + b"\x00", b"x" * 5000]),
            st.none(),
        ),
        "tracestate": st.one_of(st.sampled_from([b"a=b", b"=" * 3000]), st.none()),
    }
    for name, values in optional.items():
        if not _often(draw, 7 if name == "x-event-version" else 1):
            found.append((name, draw(values)))
    found += draw(
        st.lists(
            st.tuples(st.text(max_size=10), st.one_of(st.binary(max_size=20), st.none())),
            max_size=2,
        )
    )
    return tuple(draw(st.permutations(found)))  # type: ignore[arg-type]


@st.composite
def hostile_records(draw: st.DrawFn) -> tuple[bytes | None, bytes | None, Headers]:
    """(key, value, headers) of one record, as a producer could send it."""
    if _often(draw, 6):
        claimed, value, natural = draw(bodies())
    else:
        claimed, value, natural = None, draw(st.binary(max_size=64)), b"1"
    key_choices = [
        st.none(),
        st.binary(max_size=16),
        st.sampled_from([o.encode() for o in ORDER_IDS]),
    ]
    key = (
        claimed.encode()
        if claimed is not None and _often(draw, 16)
        else draw(st.one_of(*key_choices))
    )
    return key, value if _often(draw, 12) else None, draw(headers(natural))
