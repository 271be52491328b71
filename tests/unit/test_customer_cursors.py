"""The customers listing's cursors: what they carry, and what they refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from application.cursors import CursorCodec, CursorError
from views.customers.cursors import PURPOSE, CustomerCursor, CustomerCursors
from views.customers.ports import (
    CustomerFilters,
    CustomerKeyset,
    CustomerSort,
    CustomerSortValue,
)

pytestmark = pytest.mark.unit

CODEC = CursorCodec(b"customer-cursors")
cursors = CustomerCursors(CODEC)
PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        (CustomerSort.LAST_ORDER_AT, datetime(2026, 11, 28, 10, 0, 0, 123456, tzinfo=PLUS_TWO)),
        (CustomerSort.ORDER_COUNT, 12),
        (CustomerSort.TOTAL_GROSS, Decimal("99999999999999.99")),
    ],
)
@pytest.mark.parametrize(
    "filters",
    [
        CustomerFilters(),
        CustomerFilters(
            "EUR", 3, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=PLUS_TWO)
        ),
    ],
)
def test_a_cursor_carries_its_keyset_sort_page_size_and_filters(
    sort: CustomerSort, value: CustomerSortValue, filters: CustomerFilters
) -> None:
    if sort is CustomerSort.TOTAL_GROSS and filters.currency is None:
        filters = CustomerFilters(currency="PLN")  # its listing always has one
    cursor = CustomerCursor(sort, CustomerKeyset(value, "😀-é", backwards=True), 7, filters)

    decoded = cursors.decode(cursors.encode(cursor))

    assert decoded == cursor
    assert type(decoded.keyset.value) is type(value)


def test_an_orders_cursor_or_another_servers_is_refused() -> None:
    token = cursors.encode(CustomerCursor(CustomerSort.ORDER_COUNT, CustomerKeyset(1, "c"), 5))
    with pytest.raises(CursorError):
        CustomerCursors(CursorCodec(b"another-secret")).decode(token)
    with pytest.raises(CursorError):
        CODEC.decode(token)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'["lastOrderAt", "2026-01-01T00:00:00+00:00", "c", false, 5, null, null, null, null]',
        b'["-lastOrderAt", "2026-01-01T00:00:00", "c", false, 5, null, null, null, null]',
        b'["-orderCount", "many", "c", false, 5, null, null, null, null]',
        b'["-totalGross", "NaN", "c", false, 5, "EUR", null, null, null]',
        b'["-totalGross", "1.00", "c", false, 0, "EUR", null, null, null]',
        b'["-totalGross", "1.00", "c", false, 5, null, null, null, null]',
        b'["-orderCount", "1", "c", false, 5, null, null, "2026-01-01T00:00:00", null]',
        b'["-orderCount", "1", "c", false, 5]',
    ],
)
def test_a_sealed_but_malformed_payload_is_refused(body: bytes) -> None:
    with pytest.raises(CursorError, match="malformed"):
        cursors.decode(CODEC.seal(body, PURPOSE))
