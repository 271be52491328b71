"""`GET /customers/{customerId}`, `GET /customers` and `GET /customers/{customerId}/orders`."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, cast
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIType
from litestar.params import FromPath, QueryParameter

from adapters.http.dependencies import use_cases
from adapters.http.etags import none_match_hits
from adapters.http.freshness import (
    NOT_REACHED_SPEC,
    POSITION_RESPONSE_HEADER,
    MinPositionParam,
    WaitParam,
    not_reached_response,
    position_headers,
)
from adapters.http.limits import limits_spec
from adapters.http.links import cursor_links
from adapters.http.orders import OrderListParams, order_list_response
from adapters.http.params import (
    CursorParam,
    IfNoneMatch,
    PageParam,
    PageSizeParam,
    SortParam,
    Statuses,
    UpdatedFrom,
    UpdatedTo,
    optional,
    parse_moment,
    rfc3339,
)
from adapters.http.problems import problem_spec, unavailable_spec
from adapters.http.schemas import CamelStruct, Money, OrderListBody, Timestamp, money, utc
from application.cursors import CursorCodec
from application.errors import InvalidParameter, NotFound
from application.freshness import NotReached, ReadFreshness, parse_min_position, parse_wait
from application.queries import ListOrders
from domain.events import is_identifier
from views.customers.ports import CustomerDetail, CustomerReader, CustomerSort
from views.customers.queries import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    MAX_PAGE_SIZE,
    CustomerListRequest,
    CustomerPage,
    GetCustomer,
    ListCustomers,
)

# Bump when the JSON representation of a customer changes shape, so caches revalidate.
REPRESENTATION_VERSION = "1"
_CACHING = {"Cache-Control": "no-cache"}  # clients may keep a copy but must revalidate it
_MAX_COUNT_DIGITS = 18  # minOrders fits a bigint


# --- bodies -------------------------------------------------------------------------------------


class StatusCounts(msgspec.Struct, frozen=True, rename="upper"):
    created: int
    paid: int
    shipped: int
    delivered: int
    cancelled: int


class CurrencyTotalsBody(CamelStruct, frozen=True):
    currency: Annotated[str, msgspec.Meta(examples=["EUR"])]
    order_count: int
    total_net: Money
    total_gross: Money


class CustomerBody(CamelStruct, frozen=True):
    customer_id: Annotated[str, msgspec.Meta(examples=["c-42"])]
    order_count: int
    status_counts: StatusCounts
    totals: list[CurrencyTotalsBody]
    first_order_at: Timestamp
    last_order_at: Timestamp
    updated_at: Timestamp


class CustomerListBody(CamelStruct, frozen=True):
    items: list[CustomerBody]
    page_size: int
    next_cursor: str | None


def customer_body(detail: CustomerDetail) -> CustomerBody:
    s = detail.summary
    return CustomerBody(
        customer_id=s.customer_id,
        order_count=s.order_count,
        status_counts=StatusCounts(
            s.created_count, s.paid_count, s.shipped_count, s.delivered_count, s.cancelled_count
        ),
        totals=[
            CurrencyTotalsBody(t.currency, t.order_count, money(t.total_net), money(t.total_gross))
            for t in detail.totals
        ],
        first_order_at=utc(s.first_order_at),
        last_order_at=utc(s.last_order_at),
        updated_at=utc(s.updated_at),
    )


def customer_list(page: CustomerPage) -> CustomerListBody:
    return CustomerListBody(
        items=[customer_body(detail) for detail in page.items],
        page_size=page.page_size,
        next_cursor=page.next_cursor,
    )


def customer_etag(detail: CustomerDetail) -> str:
    """Strong tag of the customer's rows: their version (every write moves it) and their
    values, so that a rebuild, which numbers versions from the start again, cannot give a
    changed row a tag it had before; a rebuild that reproduces the rows and versions
    reproduces the tag."""
    state = REPRESENTATION_VERSION.encode() + b"\x1f" + msgspec.json.encode(detail)
    return f'"{hashlib.sha256(state).hexdigest()[:32]}"'


# --- query parameters ---------------------------------------------------------------------------

Currency = Annotated[
    str | None,
    QueryParameter(
        name="currency",
        description="Only customers with orders in this currency (ISO 4217, three upper-case "
        "letters); required by `sort=-totalGross`, which sorts by the total in it.",
        schema_extra=optional(OpenAPIType.STRING, pattern="^[A-Z]{3}$"),
        examples=[Example(value="EUR")],
    ),
]
MinOrders = Annotated[
    str | None,
    QueryParameter(
        name="minOrders",
        description="Only customers with at least this many orders (all currencies, "
        "cancelled ones included).",
        schema_extra=optional(OpenAPIType.INTEGER, minimum=1),
        examples=[Example(value="3")],
    ),
]


def _window(name: str, meaning: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=f"RFC 3339 timestamp with an offset; {meaning}",
        schema_extra=optional(OpenAPIType.STRING, format="date-time"),
        examples=[Example(value="2026-11-28T10:15:00Z")],
    )


LastOrderFrom = Annotated[
    str | None, _window("from", "only customers with `lastOrderAt` at or after it.")
]
LastOrderTo = Annotated[str | None, _window("to", "only customers with `lastOrderAt` before it.")]
CustomerSortParam = Annotated[
    str | None,
    QueryParameter(
        name="sort",
        description=f"Descending sort key, ties broken by customerId descending; default "
        f"`{DEFAULT_SORT}`. `-totalGross` sorts by the total in `currency`, which it requires.",
        schema_extra=optional(OpenAPIType.STRING, enum=[s.value for s in CustomerSort]),
    ),
]
CustomerPageSize = Annotated[
    str | None,
    QueryParameter(
        name="pageSize",
        description=f"Customers per page, default {DEFAULT_PAGE_SIZE} (with a cursor: the "
        "cursor's).",
        schema_extra=optional(
            OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        ),
    ),
]
CustomerCursorParam = Annotated[
    str | None,
    QueryParameter(
        name="cursor",
        description="Opaque token from `nextCursor` or a `Link` header. It continues the "
        "listing it came from: filters, sort and pageSize not sent are its own, and those "
        "sent must be its own.",
        min_length=1,
        max_length=2048,
        schema_extra=optional(OpenAPIType.STRING),
    ),
]


def parse_min_orders(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.isascii() and text.isdigit() and len(text) <= _MAX_COUNT_DIGITS
    if not digits or int(text) < 1:
        raise InvalidParameter("minOrders", "must be a whole number, 1 or more")
    return int(text)


def parse_customer_page_size(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE_SIZE))
    if not digits or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidParameter("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
    return int(text)


def _min_position(text: str | None) -> dict[int, int] | None:
    return None if text is None else parse_min_position(text)


# --- routes -------------------------------------------------------------------------------------


class CustomersController(Controller):
    path = "/customers"
    tags = ("customers",)

    @get(
        "/{customerId:str}",
        summary="Get one customer",
        response_headers=[
            ResponseHeader(
                name="ETag", description="Version of this customer's rows", documentation_only=True
            ),
            POSITION_RESPONSE_HEADER,
        ],
        responses={
            304: ResponseSpec(None, description="Not modified: `If-None-Match` holds the ETag"),
            400: problem_spec("A header or parameter is malformed; `invalidParams` names it"),
            404: problem_spec("No customer with this id"),
            **NOT_REACHED_SPEC,
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def show_customer(
        self,
        customerId: FromPath[str],  # camelCase: the route template and metric label read it
        get_customer: NamedDependency[GetCustomer],
        read_freshness: NamedDependency[ReadFreshness],
        if_none_match: IfNoneMatch = None,
        min_position: MinPositionParam = None,
        wait: WaitParam = None,
    ) -> Response[CustomerBody]:
        """One customer: its orders counted by status and totalled per currency; with
        `minPosition`, once the views have caught up with the client's writes."""
        wanted = _min_position(min_position)
        seconds = parse_wait(wait, read_freshness.max_wait_seconds)
        if not is_identifier(customerId):
            raise NotFound(f"customer {customerId!r} not found")  # cannot exist: no need to ask
        try:
            await read_freshness.await_positions(wanted, seconds)
        except NotReached as not_reached:
            return cast("Response[CustomerBody]", not_reached_response(not_reached))
        positions = read_freshness.positions  # before the read: the token never overstates
        detail = await get_customer(customerId)
        etag = customer_etag(detail)
        headers = {"ETag": etag, **_CACHING, **position_headers(positions)}
        if none_match_hits(if_none_match, etag):
            return cast("Response[CustomerBody]", Response(None, status_code=304, headers=headers))
        return Response(customer_body(detail), headers=headers)

    @get(
        "/",
        summary="List customers",
        response_headers=[
            ResponseHeader(
                name="Link", description="rel=next and rel=prev pages", documentation_only=True
            ),
            POSITION_RESPONSE_HEADER,
        ],
        responses={
            400: problem_spec("A parameter is invalid; `invalidParams` names it"),
            **NOT_REACHED_SPEC,
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def search_customers(
        self,
        request: Request[Any, Any, Any],
        list_customers: NamedDependency[ListCustomers],
        read_freshness: NamedDependency[ReadFreshness],
        currency: Currency = None,
        min_orders: MinOrders = None,
        last_order_from: LastOrderFrom = None,
        last_order_to: LastOrderTo = None,
        sort: CustomerSortParam = None,
        page_size: CustomerPageSize = None,
        cursor: CustomerCursorParam = None,
        min_position: MinPositionParam = None,
        wait: WaitParam = None,
    ) -> Response[CustomerListBody]:
        """A page of customers, filtered and sorted, by keyset `cursor`; with `minPosition`,
        once the views have caught up with the client's writes."""
        listing = CustomerListRequest(
            currency=currency,
            min_orders=parse_min_orders(min_orders),
            last_order_from=parse_moment("from", last_order_from),
            last_order_to=parse_moment("to", last_order_to),
            sort=sort,
            page_size=parse_customer_page_size(page_size),
            cursor=cursor,
        )
        wanted = _min_position(min_position)
        seconds = parse_wait(wait, read_freshness.max_wait_seconds)
        try:
            await read_freshness.await_positions(wanted, seconds)
        except NotReached as not_reached:
            return cast("Response[CustomerListBody]", not_reached_response(not_reached))
        positions = read_freshness.positions
        page = await list_customers(listing)
        # The listing's own filters: with a cursor, those not sent are the cursor's.
        f = page.filters
        kept = [("currency", f.currency)] if f.currency is not None else []
        kept += [("minOrders", str(f.min_orders))] if f.min_orders is not None else []
        bounds = f.last_order_from, f.last_order_to
        kept += [(n, rfc3339(m)) for n, m in zip(("from", "to"), bounds, strict=True) if m]
        kept += [("sort", page.sort.value), ("pageSize", str(page.page_size))]
        path = f"{request.scope.get('root_path', '')}{self.path}"
        links = cursor_links(path, kept, page.next_cursor, page.prev_cursor)
        headers = {"Link": ", ".join(links)} if links else {}
        return Response(customer_list(page), headers={**headers, **position_headers(positions)})

    @get(
        "/{customerId:str}/orders",
        summary="List a customer's orders",
        response_headers=[
            ResponseHeader(
                name="Link", description="rel=next and rel=prev pages", documentation_only=True
            ),
            POSITION_RESPONSE_HEADER,
        ],
        responses={
            400: problem_spec("A parameter is invalid; `invalidParams` names it"),
            404: problem_spec("No customer with this id"),
            **NOT_REACHED_SPEC,
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def customer_orders(
        self,
        request: Request[Any, Any, Any],
        customerId: FromPath[str],
        list_orders: NamedDependency[ListOrders],
        get_customer: NamedDependency[GetCustomer],
        read_freshness: NamedDependency[ReadFreshness],
        status: Statuses = None,
        updated_from: UpdatedFrom = None,
        updated_to: UpdatedTo = None,
        sort: SortParam = None,
        page: PageParam = None,
        page_size: PageSizeParam = None,
        cursor: CursorParam = None,
        min_position: MinPositionParam = None,
        wait: WaitParam = None,
    ) -> Response[OrderListBody]:
        """A page of the customer's orders: `GET /orders` with this customerId (the same
        body, parameters and cursors)."""
        if not is_identifier(customerId):
            raise NotFound(f"customer {customerId!r} not found")  # cannot exist: no need to ask
        root = request.scope.get("root_path", "")
        path = f"{root}{self.path}/{quote(customerId, safe='')}/orders"
        params = OrderListParams(
            status, customerId, updated_from, updated_to, sort, page, page_size, cursor
        )
        response = await order_list_response(
            path, list_orders, read_freshness, params, min_position, wait, customer_in_path=True
        )
        body = response.content
        if isinstance(body, OrderListBody) and not body.items and cursor is None:
            await get_customer(customerId)  # no orders: 404 unless the customer has a row
        return response


def routes(reader: CustomerReader, cursors: CursorCodec) -> list[Router]:
    """The view's routes, with their use cases as dependencies, given the engine's way."""
    get_customer, list_customers = GetCustomer(reader), ListCustomers(reader, cursors)
    return [
        Router(
            "/",
            route_handlers=[CustomersController],
            dependencies=use_cases(
                get_customer=lambda: get_customer, list_customers=lambda: list_customers
            ),
        )
    ]
