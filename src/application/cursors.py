"""Opaque, signed keyset cursors: the client can carry them, not forge them. A cursor carries
the listing it belongs to (filters, sort, page size), so that it continues that listing only."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from decimal import Decimal, InvalidOperation

import msgspec

from application.ports import Keyset, OrderFilters, Sort, SortField, SortValue
from domain.events import OrderStatus


class CursorError(ValueError):
    pass


class _Payload(msgspec.Struct, frozen=True, array_like=True):
    sort: str
    value: str
    order_id: str
    backwards: bool
    page: int
    page_size: int
    statuses: list[str]
    customer_id: str | None
    updated_from: str | None
    updated_to: str | None


class Cursor(msgspec.Struct, frozen=True):
    sort: Sort
    keyset: Keyset
    page: int
    page_size: int
    filters: OrderFilters = OrderFilters()


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(_Payload)

    def encode(self, cursor: Cursor) -> str:
        filters = cursor.filters
        payload = _Payload(
            str(cursor.sort),
            _value_text(cursor.keyset.value),
            cursor.keyset.order_id,
            cursor.keyset.backwards,
            cursor.page,
            cursor.page_size,
            [status.value for status in filters.statuses],
            filters.customer_id,
            _moment_text(filters.updated_from),
            _moment_text(filters.updated_to),
        )
        return self.seal(self._encoder.encode(payload))

    def decode(self, token: str) -> Cursor:
        body = self.unseal(token)
        try:
            payload = self._decoder.decode(body)
            sort = parse_sort(payload.sort)
            value = _parse_value(sort.field, payload.value)
            filters = OrderFilters(
                statuses=tuple(OrderStatus(status) for status in payload.statuses),
                customer_id=payload.customer_id,
                updated_from=_moment(payload.updated_from),
                updated_to=_moment(payload.updated_to),
            )
        except (msgspec.DecodeError, ValueError):
            raise CursorError("malformed cursor") from None
        if payload.page < 1 or payload.page_size < 1:
            raise CursorError("malformed cursor")
        keyset = Keyset(value, payload.order_id, payload.backwards)
        return Cursor(sort, keyset, payload.page, payload.page_size, filters)

    def seal(self, body: bytes, purpose: str = "") -> str:
        """`body` as an opaque token signed for `purpose`: other listings (views) seal their
        own cursors with the service's secret, and a token sealed for one purpose does not
        open for another. The orders listing's purpose is "" (its tokens sign the body)."""
        return f"{_b64(body)}.{_b64(self._sign(body, purpose))}"

    def unseal(self, token: str, purpose: str = "") -> bytes:
        """The body of a token sealed for `purpose`; CursorError when it is not one."""
        try:
            body_text, signature_text = token.split(".")
            body = _unb64(body_text)
            signature = _unb64(signature_text)
        except ValueError:
            raise CursorError("malformed cursor") from None
        if not hmac.compare_digest(signature, self._sign(body, purpose)):
            raise CursorError("cursor signature does not match (tampered or from another server)")
        return body

    def _sign(self, body: bytes, purpose: str) -> bytes:
        signed = f"{purpose}\x00".encode() + body if purpose else body
        return hmac.new(self._secret, signed, hashlib.sha256).digest()[:16]


def parse_sort(text: str) -> Sort:
    descending = text.startswith("-")
    try:
        field = SortField(text[1:] if descending else text)
    except ValueError:
        known = ", ".join(f.value for f in SortField)
        raise ValueError(
            f"unknown sort key {text!r}; use one of {known}, '-' for descending"
        ) from None
    return Sort(field, descending)


def sort_value(field: SortField, order: object) -> SortValue:
    attribute = {
        SortField.UPDATED_AT: "updated_at",
        SortField.CREATED_AT: "created_at",
        SortField.TOTAL_GROSS: "total_gross",
        SortField.ORDER_ID: "order_id",
    }[field]
    value: SortValue = getattr(order, attribute)
    return value


def _value_text(value: SortValue) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _moment_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _timestamp(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp")
    return parsed


def _moment(text: str | None) -> datetime | None:
    return None if text is None else _timestamp(text)


def _parse_value(field: SortField, text: str) -> SortValue:
    if field in (SortField.UPDATED_AT, SortField.CREATED_AT):
        return _timestamp(text)
    if field is SortField.TOTAL_GROSS:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError("bad amount") from None
        if not amount.is_finite():
            raise ValueError("bad amount")
        return amount
    return text


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not text.replace("-", "").replace("_", "").isalnum():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
