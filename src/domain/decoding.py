"""Raw record -> accepted envelope or rejection with a CONTRACT §3 reason."""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from domain.events import EVENT_TYPES, OrderCreated, OrderEvent, event_type
from domain.records import Accepted, Decoded, DlqReason, Envelope, RawRecord, Rejected
from domain.wire_format import BodyRejected, WireFormat, WriterSchema, schema_id

# The writer schemas of a batch's framed values by id, as the registry gave them (an id it does
# not know is absent); None when no registry is configured.
Schemas = Mapping[int, WriterSchema] | None

SUPPORTED_VERSIONS = frozenset({1})
MAX_SEQUENCE = 2**63 - 1  # last_event_sequence is a BIGINT
_MAX_SEQUENCE_DIGITS = len(str(MAX_SEQUENCE))
# x-dlq-detail travels in a Kafka header and in the log: whatever a record holds, it stays short.
MAX_DETAIL_CHARS = 1000
# msgspec decodes recursively, so the depth it manages depends on how deep the caller's stack
# already is (a rebuild's child process, the worker, a test): a limit of our own, well below
# Python's recursion limit, makes the same record get the same decision everywhere.
MAX_NESTING = 256
_JSON_STRUCTURE = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)

_event_decoder = msgspec.json.Decoder(OrderEvent)


class _TypeProbe(msgspec.Struct):
    """Only read when the full decode failed, to tell an unknown type from a bad body."""

    type: object = None


_probe_decoder = msgspec.json.Decoder(_TypeProbe)
_syntax_check = msgspec.json.Decoder(msgspec.Raw).decode  # checks the syntax, builds nothing


class _Reject(Exception):
    def __init__(self, reason: DlqReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode_record(record: RawRecord, schemas: Schemas = None) -> Decoded:
    """Never raises: whatever the record holds, it is accepted or rejected with a reason."""
    try:
        return Accepted(record, _envelope(record, schemas))
    except _Reject as rejection:
        return Rejected(record, rejection.reason, capped(rejection.detail))
    except Exception as error:  # unforeseen input: this record's dead letter, not a stop
        detail = f"the record could not be decoded: {type(error).__name__}: {error}"
        return Rejected(record, DlqReason.SCHEMA_VIOLATION, capped(detail))


def capped(detail: str, limit: int = MAX_DETAIL_CHARS) -> str:
    return detail if len(detail) <= limit else f"{detail[: limit - 1]}…"


def _envelope(record: RawRecord, schemas: Schemas) -> Envelope:
    version_raw = sequence_raw = trace_id = traceparent = None
    # One pass over the headers instead of one scan per name: it showed in the profile. In
    # reverse, so that the first of repeated headers wins, as with RawRecord.header.
    for name, value in reversed(record.headers):
        if name == "x-sequence":
            sequence_raw = value
        elif name == "x-event-version":
            version_raw = value
        elif name == "x-trace-id":
            trace_id = value
        elif name == "traceparent":
            traceparent = value
    version = 1 if version_raw is None else _version(version_raw)
    raw = record.value
    event = _framed_event(raw, schemas) if raw and raw[0] == 0 else _event(raw)
    sequence = _sequence(sequence_raw)
    _check_key(record.key, event)
    _check_first_event(event, sequence)
    return Envelope(
        event=event,
        sequence=sequence,
        version=version,
        trace_id=_text(trace_id),
        traceparent=_text(traceparent),
    )


def _version(raw: bytes) -> int:
    version = _positive_int(raw)
    if version is None or version not in SUPPORTED_VERSIONS:
        raise _Reject(
            DlqReason.UNSUPPORTED_VERSION,
            f"x-event-version {_shown(raw)} is not supported (supported: "
            f"{', '.join(map(str, sorted(SUPPORTED_VERSIONS)))})",
        )
    return version


def _event(value: bytes | None) -> OrderEvent:
    if value is None:
        raise _Reject(DlqReason.INVALID_JSON, "record has no value (tombstone)")
    # Two byte counts, nearly free, spare every ordinary record the exact depth scan.
    if value.count(b"[") + value.count(b"{") > MAX_NESTING and _nesting(value) > MAX_NESTING:
        raise _too_deep()
    try:
        event: OrderEvent = _event_decoder.decode(value)
    except msgspec.ValidationError as error:
        raise _classify(value, error) from None
    except msgspec.DecodeError as error:
        raise _Reject(DlqReason.INVALID_JSON, f"value is not valid JSON: {error}") from None
    except RecursionError:
        raise _too_deep() from None
    return event


def _framed_event(value: bytes, schemas: Schemas) -> OrderEvent:
    """A registry-framed value (magic byte 0): read with its writer schema."""
    found = schema_id(value)
    if found is None:
        raise _Reject(
            DlqReason.UNKNOWN_SCHEMA,
            f"value starts with the registry magic byte 0 but has {len(value)} bytes, "
            "too few to hold a schema id",
        )
    if schemas is None:
        raise _Reject(
            DlqReason.UNKNOWN_SCHEMA,
            f"value is registry-framed (schema id {found}) but no schema registry is "
            "configured (STREAMVIEW_SCHEMA_REGISTRY_URL)",
        )
    writer = schemas.get(found)
    if writer is None:
        raise _Reject(DlqReason.UNKNOWN_SCHEMA, f"the registry does not know schema id {found}")
    body = value[5:]
    try:
        if writer.wire_format is WireFormat.JSON_SCHEMA:
            # The contract's rules first (they guard the depth too), then the writer schema's.
            event = _event(body)
            writer.read(body)
            return event
        return _avro_event(writer, writer.read(body), found)
    except BodyRejected as rejected:
        raise _Reject(rejected.reason, f"schema id {found}: {rejected.detail}") from None


def _avro_event(writer: WriterSchema, fields: object, found: int) -> OrderEvent:
    """An Avro record's fields as the event its record name says: the name is the type."""
    name = writer.record_name
    if name not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        shown = capped(repr(name), 200)
        raise _Reject(
            DlqReason.UNKNOWN_TYPE,
            f"schema id {found} is Avro record {shown}, not an event type (known: {known})",
        )
    if not isinstance(fields, dict):
        raise _Reject(DlqReason.SCHEMA_VIOLATION, f"schema id {found} is not an Avro record")
    try:
        event: OrderEvent = msgspec.convert({**fields, "type": name}, OrderEvent)
    except msgspec.ValidationError as error:
        raise _Reject(DlqReason.SCHEMA_VIOLATION, f"schema id {found} (avro): {error}") from None
    except RecursionError:
        raise _Reject(
            DlqReason.SCHEMA_VIOLATION, f"schema id {found} (avro): nested too deeply"
        ) from None
    return event


def _too_deep() -> _Reject:
    return _Reject(
        DlqReason.INVALID_JSON,
        f"value is JSON nested too deeply to be decoded (more than {MAX_NESTING} levels)",
    )


def _nesting(value: bytes) -> int:
    """How deep arrays and objects nest in `value`, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = False
    for token in _JSON_STRUCTURE.findall(value):
        if token == b'"':
            in_string = not in_string
        elif in_string or token[0] == 0x5C:  # inside a string, or an escape pair
            continue
        elif token in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _classify(value: bytes, error: msgspec.ValidationError) -> _Reject:
    # msgspec stops at the first wrong type, possibly before a syntax error further on
    # (`{"orderId": 0, oops`): a value that is not JSON at all is invalid_json, whatever
    # else is wrong with it. Checked here, on the failure path only.
    try:
        _syntax_check(value)
        declared = _probe_decoder.decode(value).type
    except msgspec.ValidationError:  # a DecodeError too: first
        return _Reject(DlqReason.SCHEMA_VIOLATION, str(error))
    except msgspec.DecodeError as syntax:
        return _Reject(DlqReason.INVALID_JSON, f"value is not valid JSON: {syntax}")
    except RecursionError:
        return _too_deep()
    if isinstance(declared, str) and declared not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        shown = capped(repr(declared), 200)
        return _Reject(DlqReason.UNKNOWN_TYPE, f"unknown event type {shown} (known: {known})")
    return _Reject(DlqReason.SCHEMA_VIOLATION, str(error))


def _sequence(raw: bytes | None) -> int:
    if raw is None:
        raise _Reject(DlqReason.MISSING_SEQUENCE, "header x-sequence is missing")
    sequence = _positive_int(raw)
    if sequence is None:
        raise _Reject(
            DlqReason.INVALID_SEQUENCE,
            f"header x-sequence must be a decimal integer from 1 to {MAX_SEQUENCE}, "
            f"got {_shown(raw)}",
        )
    return sequence


def _positive_int(raw: bytes) -> int | None:
    """ASCII digits only, 1..MAX_SEQUENCE: int() alone would accept '²' or ' 1' and raise
    (not reject) on thousands of digits, and a sequence must fit a BIGINT column."""
    if not raw.isdigit() or len(raw) > _MAX_SEQUENCE_DIGITS:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_SEQUENCE else None


def _check_key(key: bytes | None, event: OrderEvent) -> None:
    if key is None or key != event.order_id.encode():
        raise _Reject(
            DlqReason.KEY_MISMATCH,
            f"record key {_shown(key)} does not match orderId {event.order_id!r}",
        )


def _check_first_event(event: OrderEvent, sequence: int) -> None:
    if sequence == 1 and not isinstance(event, OrderCreated):
        raise _Reject(
            DlqReason.FIRST_EVENT_NOT_CREATED,
            f"x-sequence 1 must be OrderCreated, got {event_type(event)}",
        )
    if isinstance(event, OrderCreated) and sequence != 1:
        raise _Reject(
            DlqReason.INVALID_SEQUENCE,
            f"OrderCreated must carry x-sequence 1, got {sequence}",
        )


def _text(raw: bytes | None) -> str | None:
    """An optional trace header as text, or None when absent, null, not UTF-8 or holding a
    NUL (kept with a stashed event, it would have to go into jsonb, which refuses NUL): the
    event still counts, only its correlation id or trace context is dropped."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _shown(raw: bytes | None, limit: int = 80) -> str:
    """A header or key as it goes into x-dlq-detail: readable, and short whatever was sent."""
    shown = repr(raw[:limit] if raw is not None else raw)
    return shown if raw is None or len(raw) <= limit else f"{shown}... ({len(raw)} bytes)"
