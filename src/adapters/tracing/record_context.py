"""What a consumed record tells the tracer: its producer's trace context and who it is."""

from __future__ import annotations

from typing import Any

import msgspec
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from domain.records import RawRecord

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_HEADERS = frozenset(_PROPAGATOR.fields)  # traceparent, tracestate
# A span attribute taken from a record is only a hint for whoever reads the trace: kept short,
# whatever the record holds. (A tracestate is at most 512 characters by the W3C spec.)
_MAX_HEADER_CHARS = 1024
_MAX_ATTRIBUTE_CHARS = 128
_MAX_SEQUENCE_DIGITS = 19  # a BIGINT; int() of thousands of digits raises


class _Ids(msgspec.Struct):
    """Just the ids of a body; any other field and any wrong type is ignored."""

    eventId: Any = None  # the wire names
    orderId: Any = None


_IDS = msgspec.json.Decoder(_Ids)


def producer_context(record: RawRecord) -> Context | None:
    """The W3C trace context the producer put in the record's headers, if valid.

    A null, oversized or malformed header is no trace context: the record is processed
    untraced, never held back by its tracing.
    """
    carrier = {
        name: value[:_MAX_HEADER_CHARS].decode("utf-8", "replace")
        for name, value in record.headers
        if name in _TRACE_HEADERS and isinstance(value, bytes) and len(value) <= _MAX_HEADER_CHARS
    }
    if "traceparent" not in carrier:
        return None
    context = _PROPAGATOR.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def record_attributes(record: RawRecord) -> dict[str, str | int]:
    """orderId, eventId, sequence, partition and offset, as far as the record has them.

    Read leniently: a record on its way to the dead-letter topic is traced too.
    """
    attributes: dict[str, str | int] = {
        "messaging.destination.name": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }
    ids = _ids(record.value)
    order_id = _short(record.key) if record.key else ids.orderId
    if isinstance(order_id, str):
        attributes["orderId"] = order_id[:_MAX_ATTRIBUTE_CHARS]
    if isinstance(ids.eventId, str):
        attributes["eventId"] = ids.eventId[:_MAX_ATTRIBUTE_CHARS]
    sequence = record.header("x-sequence")
    if isinstance(sequence, bytes):
        text = _short(sequence).strip()
        digits = text.isascii() and text.isdigit() and len(text) <= _MAX_SEQUENCE_DIGITS
        attributes["sequence"] = int(text) if digits else text
    return attributes


def _short(raw: bytes) -> str:
    return raw[:_MAX_ATTRIBUTE_CHARS].decode("utf-8", "replace")


def _ids(value: bytes | None) -> _Ids:
    if not value:
        return _Ids()
    try:
        return _IDS.decode(value)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return _Ids()
