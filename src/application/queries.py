"""Use cases of the read side: one order, and pages of orders."""

from __future__ import annotations

from datetime import datetime

import msgspec

from application.cursors import Cursor, CursorCodec, CursorError, parse_sort, sort_value
from application.errors import InvalidParameter, NotFound
from application.ports import Keyset, ListQuery, OrderDetail, OrderFilters, OrderReader, Sort
from domain.events import OrderStatus
from domain.projection import OrderView

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
# Page numbers cost an OFFSET scan over every row before the page; past this many rows
# (page x pageSize) the client is told to follow the cursor, which costs the same at any depth.
MAX_ROWS_BY_PAGE_NUMBER = 10_000


class GetOrder:
    def __init__(self, reader: OrderReader) -> None:
        self._reader = reader

    async def __call__(self, order_id: str) -> OrderDetail:
        detail = await self._reader.get_order(order_id)
        if detail is None:
            raise NotFound(f"order {order_id!r} not found")
        return detail


class ListRequest(msgspec.Struct, frozen=True):
    """The parameters of `GET /orders` as the client sent them (already typed); with a cursor,
    those not sent are the cursor's."""

    statuses: tuple[str, ...] = ()
    customer_id: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    sort: str | None = None
    page: int | None = None
    page_size: int | None = None
    cursor: str | None = None


class OrderPage(msgspec.Struct, frozen=True):
    items: list[OrderView]
    page: int
    page_size: int
    sort: Sort
    next_cursor: str | None
    prev_cursor: str | None
    filters: OrderFilters = OrderFilters()

    @property
    def has_prev(self) -> bool:
        return self.page > 1


class ListOrders:
    def __init__(self, reader: OrderReader, cursors: CursorCodec) -> None:
        self._reader = reader
        self._cursors = cursors

    async def __call__(self, request: ListRequest) -> OrderPage:
        filters = _filters(request)
        size = request.page_size
        if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidParameter("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
        if request.cursor is None:
            sort, page, keyset = _sort(request.sort), _page(request.page), None
            size = size or DEFAULT_PAGE_SIZE
            if page * size > MAX_ROWS_BY_PAGE_NUMBER:
                raise InvalidParameter(
                    "page",
                    f"page x pageSize must not exceed {MAX_ROWS_BY_PAGE_NUMBER}; "
                    "follow `nextCursor` (or the Link header) to go deeper",
                )
        else:
            continued = self._continued(request, filters)
            sort, page, keyset = continued.sort, continued.page, continued.keyset
            filters, size = continued.filters, continued.page_size

        query = ListQuery(
            filters=filters,
            sort=sort,
            limit=size + 1,
            offset=0 if keyset else (page - 1) * size,
            keyset=keyset,
        )
        rows = await self._reader.list_orders(query)
        backwards = keyset is not None and keyset.backwards
        if backwards:
            items, has_next = rows[-size:], True
        else:
            items, has_next = rows[:size], len(rows) > size

        def cursor(row: OrderView, to_page: int, back: bool) -> str:
            key = Keyset(sort_value(sort.field, row), row.order_id, back)
            return self._cursors.encode(Cursor(sort, key, to_page, size, filters))

        return OrderPage(
            items=items,
            page=page,
            page_size=size,
            sort=sort,
            next_cursor=cursor(items[-1], page + 1, False) if items and has_next else None,
            prev_cursor=cursor(items[0], page - 1, True) if items and page > 1 else None,
            filters=filters,
        )

    def _continued(self, request: ListRequest, filters: OrderFilters) -> Cursor:
        """The request's cursor, if the parameters sent with it are those of its listing."""
        sort = _sort(request.sort)
        if request.page is not None:
            raise InvalidParameter("cursor", "cannot be combined with page; use one or the other")
        try:
            cursor = self._cursors.decode(request.cursor or "")
        except CursorError as error:
            raise InvalidParameter("cursor", str(error)) from None
        if request.sort and cursor.sort != sort:
            raise InvalidParameter("cursor", f"was issued for sort {cursor.sort}, not {sort}")
        if request.page_size is not None and request.page_size != cursor.page_size:
            raise InvalidParameter(
                "cursor", f"was issued for pageSize {cursor.page_size}, not {request.page_size}"
            )
        mismatched = _mismatched_filters(filters, cursor.filters)
        if mismatched:
            raise InvalidParameter(
                "cursor",
                f"was issued for other filters ({', '.join(mismatched)}); send the filters "
                "it was issued for, or none",
            )
        return cursor


def _sort(text: str | None) -> Sort:
    try:
        return parse_sort(text) if text else Sort()
    except ValueError as error:
        raise InvalidParameter("sort", str(error)) from None


def _page(number: int | None) -> int:
    page = 1 if number is None else number
    if page < 1:
        raise InvalidParameter("page", "must be 1 or more")
    return page


def _mismatched_filters(sent: OrderFilters, issued: OrderFilters) -> list[str]:
    """The filters sent with a cursor that differ from those it was issued for (those not sent
    are the cursor's)."""
    pairs = [
        ("status", set(sent.statuses) or None, set(issued.statuses) or None),
        ("customerId", sent.customer_id, issued.customer_id),
        ("from", sent.updated_from, issued.updated_from),
        ("to", sent.updated_to, issued.updated_to),
    ]
    return [name for name, mine, theirs in pairs if mine is not None and mine != theirs]


def _filters(request: ListRequest) -> OrderFilters:
    statuses: list[OrderStatus] = []
    for text in request.statuses:
        try:
            statuses.append(OrderStatus(text))
        except ValueError:
            known = ", ".join(s.value for s in OrderStatus)
            raise InvalidParameter("status", f"unknown status {text!r}; use {known}") from None
    for name, value in (("from", request.updated_from), ("to", request.updated_to)):
        if value is not None and value.tzinfo is None:
            raise InvalidParameter(name, "must be an RFC 3339 timestamp with an offset")
    return OrderFilters(
        statuses=tuple(dict.fromkeys(statuses)),
        customer_id=request.customer_id,
        updated_from=request.updated_from,
        updated_to=request.updated_to,
    )
