"""Demo and load events: realistic order histories with optional duplicates, reordering and poison.

Used by `streamview demo`, `streamview produce`, tests and benchmarks, so every run with the same
seed produces the same records.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

Headers = tuple[tuple[str, bytes], ...]

_STATUS_FLOW = ("PAID", "SHIPPED", "DELIVERED")
_CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP", "PLN")
_TAX_RATES = (None, "0.23", "0.19", "0.07", "0.2", "0")
_POISON_KINDS = (
    "invalid_json",
    "schema_violation",
    "unknown_type",
    "missing_sequence",
    "invalid_sequence",
    "key_mismatch",
    "first_event_not_created",
    "unsupported_version",
)  # unknown_schema too, on request only: the seeded mixes of poison stay as they were


class OutgoingRecord(msgspec.Struct, frozen=True):
    key: bytes
    value: bytes
    headers: Headers


class GeneratorOptions(msgspec.Struct, frozen=True, kw_only=True):
    orders: int = 1000
    events_per_order: int = 5
    duplicate_fraction: float = 0.0
    reorder_fraction: float = 0.0
    poison_fraction: float = 0.0
    customers: int = 500
    seed: int = 42
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    # Orders in flight at once: their events interleave in the stream like real traffic.
    window: int = 64
    order_prefix: str = "ord"


_encoder = msgspec.json.Encoder()


def order_history(
    rng: random.Random, order_id: str, options: GeneratorOptions
) -> list[dict[str, Any]]:
    """The events of one order, in sequence order (sequence = index + 1)."""
    at = options.start + timedelta(seconds=rng.randrange(0, 30 * 24 * 3600))
    customer = f"cust-{rng.randrange(options.customers):05d}"

    def item(n: int) -> dict[str, Any]:
        body = {
            "itemId": f"{order_id}-i{n}",
            "sku": f"SKU-{rng.randrange(1000):04d}",
            "qty": rng.randint(1, 5),
            "price": f"{rng.randrange(100, 20000) / 100:.2f}",
        }
        tax = rng.choice(_TAX_RATES)
        if tax is not None:
            body["taxRate"] = tax
        return body

    def base(kind: str) -> dict[str, Any]:
        nonlocal at
        at += timedelta(seconds=rng.randint(1, 600))
        stamp = at.isoformat().replace("+00:00", "Z")
        return {"type": kind, "eventId": str(_uuid(rng)), "occurredAt": stamp, "orderId": order_id}

    items = [item(n) for n in range(1, rng.randint(1, 3) + 1)]
    events = [
        base("OrderCreated")
        | {"customerId": customer, "currency": rng.choice(_CURRENCIES), "items": items}
    ]
    status_step, line = 0, len(items)
    for _ in range(options.events_per_order - 1):
        if status_step < len(_STATUS_FLOW) and rng.random() < 0.5:
            status = "CANCELLED" if rng.random() < 0.05 else _STATUS_FLOW[status_step]
            status_step = len(_STATUS_FLOW) if status == "CANCELLED" else status_step + 1
            events.append(base("OrderStatusChanged") | {"status": status})
        else:
            line += 1
            events.append(base("OrderItemAdded") | item(line))
    return events


def generate(options: GeneratorOptions) -> Iterator[OutgoingRecord]:
    """Every order's history, interleaved, with the requested imperfections."""
    rng = random.Random(options.seed)
    pending = iter(range(options.orders))
    active: list[list[OutgoingRecord]] = []

    def admit() -> None:
        for n in pending:
            order_id = f"{options.order_prefix}-{n:07d}"
            history = order_history(rng, order_id, options)
            records = [_record(order_id, e, seq) for seq, e in enumerate(history, start=1)]
            active.append(_imperfect(rng, records, options)[::-1])
            if len(active) >= options.window:
                return

    admit()
    while active:
        index = rng.randrange(len(active))
        queue = active[index]
        yield queue.pop()
        if rng.random() < options.poison_fraction:
            yield poison(rng, rng.choice(_POISON_KINDS))
        if not queue:
            active[index] = active[-1]
            active.pop()
            admit()


def _imperfect(
    rng: random.Random, records: list[OutgoingRecord], options: GeneratorOptions
) -> list[OutgoingRecord]:
    out = list(records)
    for i in range(len(out) - 1):
        if rng.random() < options.reorder_fraction:
            out[i], out[i + 1] = out[i + 1], out[i]
    for i in range(len(out) - 1, -1, -1):
        if rng.random() < options.duplicate_fraction:
            out.insert(rng.randint(i + 1, len(out)), out[i])
    return out


def _record(order_id: str, event: dict[str, Any], sequence: int) -> OutgoingRecord:
    return OutgoingRecord(
        key=order_id.encode(),
        value=_encoder.encode(event),
        headers=(("x-sequence", str(sequence).encode()), ("x-event-version", b"1")),
    )


def poison(rng: random.Random, kind: str) -> OutgoingRecord:
    """A record that StreamView must dead-letter with reason `kind`."""
    order_id = f"poison-{rng.randrange(10**9):09d}"
    good = order_history(rng, order_id, GeneratorOptions(events_per_order=2, seed=0))
    created, added = good[0], good[1]
    seq1: tuple[tuple[str, bytes], ...] = (("x-sequence", b"1"),)
    match kind:
        case "invalid_json":
            return OutgoingRecord(order_id.encode(), b'{"type": "OrderCreated", ', seq1)
        case "schema_violation":
            body = created | {"currency": "euro"}
            return OutgoingRecord(order_id.encode(), _encoder.encode(body), seq1)
        case "unknown_type":
            body = created | {"type": "OrderTeleported"}
            return OutgoingRecord(order_id.encode(), _encoder.encode(body), seq1)
        case "missing_sequence":
            return OutgoingRecord(order_id.encode(), _encoder.encode(created), ())
        case "invalid_sequence":
            headers: tuple[tuple[str, bytes], ...] = (("x-sequence", b"first"),)
            return OutgoingRecord(order_id.encode(), _encoder.encode(created), headers)
        case "key_mismatch":
            return OutgoingRecord(b"someone-else", _encoder.encode(created), seq1)
        case "first_event_not_created":
            return OutgoingRecord(order_id.encode(), _encoder.encode(added), seq1)
        case "unsupported_version":
            headers = (*seq1, ("x-event-version", b"2"))
            return OutgoingRecord(order_id.encode(), _encoder.encode(created), headers)
        case "unknown_schema":  # registry-framed with an id no registry has handed out yet
            value = b"\x00\x7f\xff\xff\xf0" + _encoder.encode(created)
            return OutgoingRecord(order_id.encode(), value, seq1)
    kinds = ", ".join((*_POISON_KINDS, "unknown_schema"))
    raise ValueError(f"unknown poison kind {kind!r}; use one of {kinds}")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
