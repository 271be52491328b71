"""Use cases of the customers view's read side: one customer, and pages of customers."""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from application.cursors import CursorCodec, CursorError
from application.errors import InvalidParameter, NotFound
from views.customers.cursors import CustomerCursor, CustomerCursors
from views.customers.ports import (
    CustomerDetail,
    CustomerFilters,
    CustomerKeyset,
    CustomerListQuery,
    CustomerReader,
    CustomerSort,
)

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = CustomerSort.LAST_ORDER_AT
_CURRENCY = re.compile(r"[A-Z]{3}")  # fullmatch: `$` would let "EUR\n" through


class GetCustomer:
    def __init__(self, reader: CustomerReader) -> None:
        self._reader = reader

    async def __call__(self, customer_id: str) -> CustomerDetail:
        detail = await self._reader.get_customer(customer_id)
        if detail is None:
            raise NotFound(f"customer {customer_id!r} not found")
        return detail


class CustomerListRequest(msgspec.Struct, frozen=True):
    """The parameters of `GET /customers` as the client sent them (already typed); with a
    cursor, those not sent are the cursor's."""

    currency: str | None = None
    min_orders: int | None = None
    last_order_from: datetime | None = None
    last_order_to: datetime | None = None
    sort: str | None = None
    page_size: int | None = None
    cursor: str | None = None


class CustomerPage(msgspec.Struct, frozen=True):
    items: list[CustomerDetail]
    page_size: int
    sort: CustomerSort
    filters: CustomerFilters
    next_cursor: str | None
    prev_cursor: str | None


class ListCustomers:
    def __init__(self, reader: CustomerReader, cursors: CursorCodec) -> None:
        self._reader = reader
        self._cursors = CustomerCursors(cursors)

    async def __call__(self, request: CustomerListRequest) -> CustomerPage:
        filters = _filters(request)
        sort = _sort(request.sort)
        size = request.page_size
        if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidParameter("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
        keyset: CustomerKeyset | None = None
        if request.cursor is None:
            sort, size = sort or DEFAULT_SORT, size or DEFAULT_PAGE_SIZE
            if sort is CustomerSort.TOTAL_GROSS and filters.currency is None:
                raise InvalidParameter(
                    "sort", "-totalGross sorts within one currency: send `currency` with it"
                )
        else:
            continued = self._continued(request.cursor, sort, size, filters)
            sort, keyset = continued.sort, continued.keyset
            filters, size = continued.filters, continued.page_size

        query = CustomerListQuery(filters=filters, sort=sort, limit=size + 1, keyset=keyset)
        rows = await self._reader.list_customers(query)
        if keyset is not None and keyset.backwards:
            items, has_next, has_prev = rows[-size:], True, len(rows) > size
        else:
            items, has_next, has_prev = rows[:size], len(rows) > size, keyset is not None

        def cursor(row: CustomerDetail, backwards: bool) -> str:
            value = row.sort_value(sort, filters.currency)
            key = CustomerKeyset(value, row.summary.customer_id, backwards)
            return self._cursors.encode(CustomerCursor(sort, key, size, filters))

        return CustomerPage(
            items=items,
            page_size=size,
            sort=sort,
            filters=filters,
            next_cursor=cursor(items[-1], False) if items and has_next else None,
            prev_cursor=cursor(items[0], True) if items and has_prev else None,
        )

    def _continued(
        self,
        token: str,
        sort: CustomerSort | None,
        size: int | None,
        filters: CustomerFilters,
    ) -> CustomerCursor:
        """The cursor, if the parameters sent with it are those of its listing."""
        try:
            cursor = self._cursors.decode(token)
        except CursorError as error:
            raise InvalidParameter("cursor", str(error)) from None
        if sort is not None and cursor.sort is not sort:
            raise InvalidParameter("cursor", f"was issued for sort {cursor.sort}, not {sort}")
        if size is not None and size != cursor.page_size:
            raise InvalidParameter(
                "cursor", f"was issued for pageSize {cursor.page_size}, not {size}"
            )
        mismatched = _mismatched_filters(filters, cursor.filters)
        if mismatched:
            raise InvalidParameter(
                "cursor",
                f"was issued for other filters ({', '.join(mismatched)}); send the filters "
                "it was issued for, or none",
            )
        return cursor


def _sort(text: str | None) -> CustomerSort | None:
    if text is None:
        return None
    try:
        return CustomerSort(text)
    except ValueError:
        known = ", ".join(s.value for s in CustomerSort)
        raise InvalidParameter("sort", f"unknown sort {text!r}; use one of {known}") from None


def _filters(request: CustomerListRequest) -> CustomerFilters:
    currency = request.currency
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise InvalidParameter("currency", "must be three upper-case letters (ISO 4217), e.g. EUR")
    if request.min_orders is not None and request.min_orders < 1:
        raise InvalidParameter("minOrders", "must be a whole number, 1 or more")
    for name, moment in (("from", request.last_order_from), ("to", request.last_order_to)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidParameter(name, "must be an RFC 3339 timestamp with an offset")
    return CustomerFilters(
        currency=currency,
        min_orders=request.min_orders,
        last_order_from=request.last_order_from,
        last_order_to=request.last_order_to,
    )


def _mismatched_filters(sent: CustomerFilters, issued: CustomerFilters) -> list[str]:
    """The filters sent with a cursor that differ from those it was issued for (those not
    sent are the cursor's)."""
    pairs = [
        ("currency", sent.currency, issued.currency),
        ("minOrders", sent.min_orders, issued.min_orders),
        ("from", sent.last_order_from, issued.last_order_from),
        ("to", sent.last_order_to, issued.last_order_to),
    ]
    return [name for name, mine, theirs in pairs if mine is not None and mine != theirs]
