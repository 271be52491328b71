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


class _Ids(msgspec.Struct):
    """Just the ids of a body; any other field and any wrong type is ignored."""

    eventId: Any = None  # the wire names
    orderId: Any = None


_IDS = msgspec.json.Decoder(_Ids)


def producer_context(record: RawRecord) -> Context | None:
    """The W3C trace context the producer put in the record's headers, if valid."""
    carrier = {
        name: value.decode("utf-8", "replace")
        for name, value in record.headers
        if name in _TRACE_HEADERS
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
    order_id = record.key.decode("utf-8", "replace") if record.key else ids.orderId
    if isinstance(order_id, str):
        attributes["orderId"] = order_id
    if isinstance(ids.eventId, str):
        attributes["eventId"] = ids.eventId
    sequence = record.header("x-sequence")
    if sequence is not None:
        text = sequence.decode("utf-8", "replace").strip()
        attributes["sequence"] = int(text) if text.isdecimal() else text
    return attributes


def _ids(value: bytes | None) -> _Ids:
    if not value:
        return _Ids()
    try:
        return _IDS.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return _Ids()
