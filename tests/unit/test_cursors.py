"""Keyset cursors: they round-trip every sort, and any change to them is detected."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from application.cursors import Cursor, CursorCodec, CursorError, parse_sort
from application.ports import Keyset, OrderFilters, Sort, SortField, SortValue
from domain.events import OrderStatus

pytestmark = pytest.mark.unit

SECRET = b"cursor-secret"
codec = CursorCodec(SECRET)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (SortField.UPDATED_AT, datetime(2026, 11, 28, 10, 15, 0, 123456, tzinfo=UTC)),
        (SortField.CREATED_AT, datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))),
        (SortField.TOTAL_GROSS, Decimal("24.60")),
        (SortField.TOTAL_GROSS, Decimal("1229999999999999987700.00")),
        (SortField.ORDER_ID, "order.with-dots_and-ünïcode/and:colons"),
    ],
)
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("backwards", [True, False])
def test_cursor_round_trips(
    field: SortField, value: SortValue, descending: bool, backwards: bool
) -> None:
    cursor = Cursor(
        Sort(field, descending), Keyset(value, "order-7", backwards), page=12, page_size=25
    )

    decoded = codec.decode(codec.encode(cursor))

    assert decoded == cursor
    assert str(decoded.keyset.value) == str(value)  # same digits, same offset


def _token() -> str:
    return codec.encode(Cursor(Sort(), Keyset(datetime(2026, 1, 1, tzinfo=UTC), "o"), 2, 50))


FILTERS = [
    OrderFilters(),
    OrderFilters(statuses=(OrderStatus.PAID, OrderStatus.SHIPPED)),
    OrderFilters(customer_id="c-ünï/42"),
    OrderFilters(
        updated_from=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        updated_to=datetime(2026, 2, 1, 12, 30, 0, 5, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_a_cursor_carries_the_filters_and_page_size_of_its_listing(filters: OrderFilters) -> None:
    cursor = Cursor(Sort(), Keyset(datetime(2026, 1, 1, tzinfo=UTC), "o"), 3, 7, filters)

    decoded = codec.decode(codec.encode(cursor))

    assert (decoded.filters, decoded.page_size) == (filters, 7)


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_tampered_body_is_rejected() -> None:
    body, signature = _token().split(".")

    with pytest.raises(CursorError):
        codec.decode(f"{_flip(body, 5)}.{signature}")


def test_a_tampered_signature_is_rejected() -> None:
    body, signature = _token().split(".")

    with pytest.raises(CursorError):
        codec.decode(f"{body}.{_flip(signature, 3)}")


def test_a_cursor_from_another_secret_is_rejected() -> None:
    with pytest.raises(CursorError):
        CursorCodec(b"another-secret").decode(_token())


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "%%%.%%%", "é.é", _token() + "."])
def test_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(CursorError):
        codec.decode(token)


def _signed(body: bytes) -> str:
    """A token correctly signed with our secret, as a leaked secret would allow."""
    signature = hmac.new(SECRET, body, hashlib.sha256).digest()[:16]
    b64 = base64.urlsafe_b64encode
    return f"{b64(body).rstrip(b'=').decode()}.{b64(signature).rstrip(b'=').decode()}"


SCOPE = b", 5, [], null, null, null]"  # page size 5, no filters


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'["-updatedAt", "2026-01-01T00:00:00+00:00", "o", false, 0' + SCOPE,  # page 0
        b'["-price", "1", "o", false, 1' + SCOPE,  # unknown sort
        b'["-updatedAt", "2026-01-01T00:00:00", "o", false, 1' + SCOPE,  # naive timestamp
        b'["totalGross", "NaN", "o", false, 1' + SCOPE,
        b'["totalGross", "lots", "o", false, 1' + SCOPE,
        b'["orderId", "o", "o", "no", 1' + SCOPE,
        b'["orderId", "o", "o", false, 1]',  # no listing (a cursor of an older release)
        b'["orderId", "o", "o", false, 1, 0, [], null, null, null]',  # page size 0
        b'["orderId", "o", "o", false, 1, 5, ["LOST"], null, null, null]',  # unknown status
        b'["orderId", "o", "o", false, 1, 5, [], null, "2026-01-01T00:00:00", null]',  # naive
    ],
)
def test_a_signed_but_malformed_payload_is_rejected(body: bytes) -> None:
    with pytest.raises(CursorError):
        codec.decode(_signed(body))


def test_a_signed_payload_is_what_decoding_reads() -> None:
    cursor = codec.decode(
        _signed(b'["totalGross", "9.99", "order-3", true, 4, 9, ["PAID"], "c-1", null, null]')
    )

    assert cursor == Cursor(
        Sort(SortField.TOTAL_GROSS, False),
        Keyset(Decimal("9.99"), "order-3", True),
        4,
        9,
        OrderFilters(statuses=(OrderStatus.PAID,), customer_id="c-1"),
    )


@pytest.mark.parametrize(
    ("text", "sort"),
    [
        ("updatedAt", Sort(SortField.UPDATED_AT, False)),
        ("-updatedAt", Sort(SortField.UPDATED_AT, True)),
        ("-totalGross", Sort(SortField.TOTAL_GROSS, True)),
        ("orderId", Sort(SortField.ORDER_ID, False)),
        ("createdAt", Sort(SortField.CREATED_AT, False)),
    ],
)
def test_parse_sort(text: str, sort: Sort) -> None:
    assert parse_sort(text) == sort
    assert str(sort) == text


@pytest.mark.parametrize("text", ["", "-", "price", "+updatedAt", "--updatedAt", "updatedat"])
def test_parse_sort_rejects_unknown_keys(text: str) -> None:
    with pytest.raises(ValueError, match="unknown sort key"):
        parse_sort(text)


def test_a_token_sealed_for_one_listing_opens_for_it_alone() -> None:
    token = codec.seal(b'["a body"]', "customers")

    assert codec.unseal(token, "customers") == b'["a body"]'
    for other in ("", "orders", "customer"):
        with pytest.raises(CursorError):
            codec.unseal(token, other)
    with pytest.raises(CursorError):
        codec.decode(token)  # the orders listing's cursors are sealed for ""
    with pytest.raises(CursorError):
        codec.unseal(_token(), "customers")
