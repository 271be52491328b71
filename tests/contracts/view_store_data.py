"""Small builders of views, lines and envelopes for the view store contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.events import Item, OrderCreated, OrderItemAdded, OrderStatus, OrderStatusChanged
from domain.projection import OrderLine, OrderView, gross
from domain.records import Envelope

T0 = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)


def view(
    order_id: str,
    sequence: int = 1,
    *,
    status: str = "CREATED",
    customer: str = "c-1",
    created_at: datetime = T0,
    updated_at: datetime | None = None,
    gross_total: Decimal = Decimal("12.30"),
    lines: int = 1,
) -> OrderView:
    return OrderView(
        order_id=order_id,
        customer_id=customer,
        status=OrderStatus(status),
        currency="EUR",
        total_net=Decimal("10.00"),
        total_gross=gross_total,
        item_count=lines * 2,
        line_count=lines,
        created_at=created_at,
        updated_at=created_at if updated_at is None else updated_at,
        last_event_sequence=sequence,
        last_event_id=f"{order_id}/event-{sequence}",
    )


def line(order_id: str, line_no: int, qty: int = 1) -> OrderLine:
    price, tax_rate = Decimal("10.00"), Decimal("0.23")
    net = price * qty
    return OrderLine(
        order_id, line_no, f"item-{line_no}", f"sku-{line_no}", qty, price, tax_rate, net,
        gross(net, tax_rate),
    )  # fmt: skip


def envelope(order_id: str, sequence: int) -> Envelope:
    """A stashable event that carries every Envelope field, to check they all survive."""
    event = OrderStatusChanged(
        f"{order_id}/event-{sequence}", T0 + timedelta(minutes=sequence), order_id,
        OrderStatus.SHIPPED,
    )  # fmt: skip
    return Envelope(event, sequence, 1, f"trace-{sequence}", f"00-{'a' * 32}-{'b' * 16}-01")


def created(order_id: str, qty: int, price: str, tax: str) -> Envelope:
    item = Item("item-1", "sku-1", qty, Decimal(price), Decimal(tax))
    return Envelope(OrderCreated(f"{order_id}/event-1", T0, order_id, "c-1", "EUR", (item,)), 1)


def status_changed(order_id: str, sequence: int, status: str = "SHIPPED") -> Envelope:
    occurred = T0 + timedelta(minutes=sequence)
    event = OrderStatusChanged(f"{order_id}/event-{sequence}", occurred, order_id,
                               OrderStatus(status))  # fmt: skip
    return Envelope(event, sequence)


def item_added(order_id: str, sequence: int, qty: int = 1, price: str = "5.00") -> Envelope:
    occurred = T0 + timedelta(minutes=sequence)
    event = OrderItemAdded(f"{order_id}/event-{sequence}", occurred, order_id,
                           f"item-{sequence}", "sku-x", qty, Decimal(price))  # fmt: skip
    return Envelope(event, sequence)
