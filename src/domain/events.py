"""The events of `orders.events`, exactly as CONTRACT §1 describes their bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec

# No NUL: PostgreSQL text cannot hold it, and one such record would block its partition.
IDENTIFIER_MAX_LENGTH = 64
Identifier = Annotated[
    str, msgspec.Meta(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern="^[^\\x00]+$")
]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]

# Prices are money: bounded so that every total fits comfortably in NUMERIC and in JSON clients.
MAX_PRICE = Decimal("1000000000000000")
# A rate like "1E-20001" would overflow NUMERIC (poisoning every batch that carries it) and a
# very long one could round inside the gross computation before the cent rounding.
MAX_TAX_RATE_DIGITS = 12

# What the published JSON Schema says of the decimals (msgspec has no bounds for Decimal, so
# __post_init__ enforces them; the schema exporter adds that a JSON number is accepted too).
Price = Annotated[
    Decimal,
    msgspec.Meta(
        description="Non-negative amount, at most 2 fractional digits, as a string or number",
        extra_json_schema={
            "pattern": r"^[0-9]{1,15}(\.[0-9]{1,2})?$",
            "minimum": 0,
            "exclusiveMaximum": int(MAX_PRICE),
        },
    ),
]
TaxRate = Annotated[
    Decimal,
    msgspec.Meta(
        description="Decimal fraction from 0 to 1; absent means the configured default rate",
        extra_json_schema={
            "pattern": r"^(0(\.[0-9]{1,12})?|1(\.0{1,12})?)$",
            "minimum": 0,
            "maximum": 1,
        },
    ),
]


class OrderStatus(StrEnum):
    CREATED = "CREATED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


def _check_price(price: Decimal) -> None:
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        raise ValueError(f"price must be a non-negative decimal below {MAX_PRICE}")
    if price.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("price must have at most 2 fractional digits")


def _check_tax_rate(tax_rate: Decimal | None) -> None:
    if tax_rate is None:
        return
    if not (tax_rate.is_finite() and 0 <= tax_rate <= 1):
        raise ValueError("taxRate must be a decimal fraction between 0 and 1")
    if tax_rate.as_tuple().exponent < -MAX_TAX_RATE_DIGITS:  # type: ignore[operator]
        raise ValueError(f"taxRate must have at most {MAX_TAX_RATE_DIGITS} fractional digits")


class Item(msgspec.Struct, frozen=True, rename="camel"):
    item_id: Identifier
    sku: Identifier
    qty: Quantity
    price: Price
    tax_rate: TaxRate | None = None

    def __post_init__(self) -> None:
        _check_price(self.price)
        _check_tax_rate(self.tax_rate)


def _in_utc(moment: datetime) -> datetime:
    """The same instant in UTC, which every view column and client can hold.

    An offset can push a valid RFC 3339 time past year 9999 or before year 1
    (`9999-12-31T23:59:59-14:00`): no Python datetime holds that instant, so the read path
    could not load it back. Such a time is a schema violation, not a view.
    """
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "occurredAt must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z"
        ) from None


class Event(msgspec.Struct, frozen=True, rename="camel", tag_field="type"):
    event_id: Identifier
    occurred_at: Timestamp
    order_id: Identifier

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "occurred_at", _in_utc(self.occurred_at))


class OrderCreated(Event, frozen=True, tag="OrderCreated"):
    customer_id: Identifier
    currency: Currency
    items: tuple[Item, ...]


class OrderItemAdded(Event, frozen=True, tag="OrderItemAdded"):
    item_id: Identifier
    sku: Identifier
    qty: Quantity
    price: Price
    tax_rate: TaxRate | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_price(self.price)
        _check_tax_rate(self.tax_rate)


class OrderStatusChanged(Event, frozen=True, tag="OrderStatusChanged"):
    status: OrderStatus


OrderEvent = OrderCreated | OrderItemAdded | OrderStatusChanged

EVENT_TYPES: dict[str, type[OrderCreated | OrderItemAdded | OrderStatusChanged]] = {
    "OrderCreated": OrderCreated,
    "OrderItemAdded": OrderItemAdded,
    "OrderStatusChanged": OrderStatusChanged,
}


def event_type(event: OrderEvent) -> str:
    """The `type` value of an event, as producers wrote it."""
    return type(event).__struct_config__.tag  # type: ignore[return-value]


def is_identifier(text: str) -> bool:
    """Whether `text` could be an `Identifier` (an orderId, customerId, …): a path parameter
    that is not cannot name anything stored, so a read need not ask."""
    return 0 < len(text) <= IDENTIFIER_MAX_LENGTH and "\x00" not in text
