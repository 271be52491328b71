"""The customers listing's cursors: its keyset, sort, page size and filters, sealed with the
service's CursorCodec for this listing alone (an orders cursor does not open here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import msgspec

from application.cursors import CursorCodec, CursorError
from views.customers.ports import CustomerFilters, CustomerKeyset, CustomerSort, CustomerSortValue

PURPOSE = "customers"


class CustomerCursor(msgspec.Struct, frozen=True):
    sort: CustomerSort
    keyset: CustomerKeyset
    page_size: int
    filters: CustomerFilters = CustomerFilters()


class _Payload(msgspec.Struct, frozen=True, array_like=True):
    sort: str
    value: str
    customer_id: str
    backwards: bool
    page_size: int
    currency: str | None
    min_orders: int | None
    last_order_from: str | None
    last_order_to: str | None


class CustomerCursors:
    def __init__(self, codec: CursorCodec) -> None:
        self._codec = codec
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(_Payload)

    def encode(self, cursor: CustomerCursor) -> str:
        f = cursor.filters
        payload = _Payload(
            cursor.sort.value,
            _value_text(cursor.keyset.value),
            cursor.keyset.customer_id,
            cursor.keyset.backwards,
            cursor.page_size,
            f.currency,
            f.min_orders,
            _moment_text(f.last_order_from),
            _moment_text(f.last_order_to),
        )
        return self._codec.seal(self._encoder.encode(payload), PURPOSE)

    def decode(self, token: str) -> CustomerCursor:
        """CursorError when the token is not one of this listing's cursors."""
        body = self._codec.unseal(token, PURPOSE)
        try:
            payload = self._decoder.decode(body)
            sort = CustomerSort(payload.sort)
            value = _parse_value(sort, payload.value)
            filters = CustomerFilters(
                currency=payload.currency,
                min_orders=payload.min_orders,
                last_order_from=_moment(payload.last_order_from),
                last_order_to=_moment(payload.last_order_to),
            )
        except (msgspec.DecodeError, ValueError):
            raise CursorError("malformed cursor") from None
        if payload.page_size < 1 or (sort is CustomerSort.TOTAL_GROSS and not filters.currency):
            raise CursorError("malformed cursor")
        keyset = CustomerKeyset(value, payload.customer_id, payload.backwards)
        return CustomerCursor(sort, keyset, payload.page_size, filters)


def _value_text(value: CustomerSortValue) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _moment_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp")
    return parsed


def _parse_value(sort: CustomerSort, text: str) -> CustomerSortValue:
    if sort is CustomerSort.LAST_ORDER_AT:
        moment = _moment(text)
        assert moment is not None
        return moment
    if sort is CustomerSort.ORDER_COUNT:
        return int(text)  # a signed body: only the server wrote it
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("bad amount") from None
    if not amount.is_finite():
        raise ValueError("bad amount")
    return amount
