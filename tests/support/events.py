"""Valid event bodies (as producers write them) and Kafka-like records around them.

Every builder returns a plain dict so that a test can break exactly one thing in it.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.decoding import decode_record
from domain.records import Accepted, Envelope, RawRecord

T0 = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
TOPIC = "orders.events"

Body = dict[str, Any]
_ids = itertools.count(1)


def at(minutes: float = 0) -> str:
    """An RFC 3339 timestamp `minutes` after T0."""
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _event(kind: str, order_id: str, event_id: str | None, occurred_at: str | None) -> Body:
    return {
        "type": kind,
        "eventId": event_id or f"evt-{next(_ids)}",
        "occurredAt": occurred_at or at(),
        "orderId": order_id,
    }


def item(
    item_id: str = "item-1",
    sku: str = "SKU-1",
    qty: int = 1,
    price: str | float = "10.00",
    tax_rate: str | float | None = None,
) -> Body:
    body: Body = {"itemId": item_id, "sku": sku, "qty": qty, "price": price}
    if tax_rate is not None:
        body["taxRate"] = tax_rate
    return body


def order_created(
    order_id: str = "order-1",
    *,
    items: list[Body] | None = None,
    customer_id: str = "customer-1",
    currency: str = "EUR",
    event_id: str | None = None,
    occurred_at: str | None = None,
) -> Body:
    body = _event("OrderCreated", order_id, event_id, occurred_at)
    body.update(customerId=customer_id, currency=currency)
    body["items"] = [item()] if items is None else items
    return body


def item_added(
    order_id: str = "order-1",
    *,
    event_id: str | None = None,
    occurred_at: str | None = None,
    **fields: Any,
) -> Body:
    """`fields` are passed to `item()`: item_id, sku, qty, price, tax_rate."""
    return {**_event("OrderItemAdded", order_id, event_id, occurred_at), **item(**fields)}


def status_changed(
    order_id: str = "order-1",
    status: str = "PAID",
    *,
    event_id: str | None = None,
    occurred_at: str | None = None,
) -> Body:
    return {**_event("OrderStatusChanged", order_id, event_id, occurred_at), "status": status}


_FROM_BODY: Any = object()  # sentinel: take the key from the body's orderId


def record(
    body: Body | bytes | None,
    sequence: int | str | None = 1,
    *,
    key: bytes | None = _FROM_BODY,
    headers: dict[str, str | bytes] | None = None,
    partition: int = 0,
    offset: int = 0,
    topic: str = TOPIC,
) -> RawRecord:
    """A record as the consumer sees it; `sequence=None` leaves out `x-sequence`."""
    value = json.dumps(body).encode() if isinstance(body, dict) else body
    if key is _FROM_BODY:
        key = body["orderId"].encode() if isinstance(body, dict) else None
    all_headers: dict[str, str | bytes] = {}
    if sequence is not None:
        all_headers["x-sequence"] = str(sequence)
    all_headers.update(headers or {})
    encoded = tuple(
        (name, v.encode() if isinstance(v, str) else v) for name, v in all_headers.items()
    )
    return RawRecord(topic, partition, offset, key, value, encoded)


def order_log(order_id: str, *later: Body, created: Body | None = None) -> list[RawRecord]:
    """The records of one order in sequence order: OrderCreated (seq 1), then `later`."""
    bodies = [created or order_created(order_id), *later]
    return [record(body, seq) for seq, body in enumerate(bodies, start=1)]


def with_offsets(records: list[RawRecord], start: int = 0) -> list[RawRecord]:
    """The same records at consecutive offsets (partitions kept), as one poll returns them."""
    return [
        RawRecord(r.topic, r.partition, start + n, r.key, r.value, r.headers)
        for n, r in enumerate(records)
    ]


def envelope(body: Body, sequence: int = 1, **record_options: Any) -> Envelope:
    """The envelope the decoder makes of a valid body (fails loudly if the body is not valid)."""
    decoded = decode_record(record(body, sequence, **record_options))
    if not isinstance(decoded, Accepted):
        raise AssertionError(f"builder made an invalid event: {decoded}")
    return decoded.envelope
