"""`GET /orders/{orderId}` and `GET /orders`: the read side of CONTRACT §5."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, cast

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from adapters.http.etags import none_match_hits, order_etag
from adapters.http.freshness import (
    NOT_REACHED_SPEC,
    POSITION_RESPONSE_HEADER,
    MinPositionParam,
    MinSequenceParam,
    WaitParam,
    not_reached_response,
    position_headers,
)
from adapters.http.limits import limits_spec
from adapters.http.links import page_links
from adapters.http.params import (
    CursorParam,
    CustomerId,
    IfNoneMatch,
    PageParam,
    PageSizeParam,
    SortParam,
    Statuses,
    UpdatedFrom,
    UpdatedTo,
    customer_filter,
    parse_moment,
    parse_page,
    parse_page_size,
    rfc3339,
    split_statuses,
)
from adapters.http.problems import problem_spec, unavailable_spec
from adapters.http.schemas import OrderDetailBody, OrderListBody, order_detail, order_list
from application.errors import NotFound
from application.freshness import (
    NotReached,
    ReadFreshness,
    parse_min_position,
    parse_min_sequence,
    parse_wait,
)
from application.ports import OrderDetail
from application.queries import GetOrder, ListOrders, ListRequest
from domain.events import is_identifier

_CACHING = {"Cache-Control": "no-cache"}  # clients may keep a copy but must revalidate it


class OrdersController(Controller):
    path = "/orders"
    tags = ("orders",)

    @get(
        "/{orderId:str}",
        summary="Get one order",
        response_headers=[
            ResponseHeader(
                name="ETag", description="Version of this order view", documentation_only=True
            ),
            POSITION_RESPONSE_HEADER,
        ],
        responses={
            304: ResponseSpec(None, description="Not modified: `If-None-Match` holds the ETag"),
            400: problem_spec("A header or parameter is malformed; `invalidParams` names it"),
            404: problem_spec("No order with this id"),
            **NOT_REACHED_SPEC,
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def show_order(
        self,
        orderId: FromPath[str],  # camelCase: the route template and metric label read `orderId`
        get_order: NamedDependency[GetOrder],
        read_freshness: NamedDependency[ReadFreshness],
        if_none_match: IfNoneMatch = None,
        min_sequence: MinSequenceParam = None,
        min_position: MinPositionParam = None,
        wait: WaitParam = None,
    ) -> Response[OrderDetailBody]:
        """One order with its lines, ordered by lineNo; with `minSequence`/`minPosition`,
        once the views have caught up with the client's writes (read-your-writes)."""
        sequence, wanted = parse_min_sequence(min_sequence), _min_position(min_position)
        seconds = parse_wait(wait, read_freshness.max_wait_seconds)
        if not is_identifier(orderId):
            raise NotFound(f"order {orderId!r} not found")  # cannot exist: no need to ask
        try:
            started = time.monotonic()
            await read_freshness.await_positions(wanted, seconds)
            if sequence is None:
                positions = read_freshness.positions
                found: OrderDetail | None = await get_order(orderId)
            else:
                left = max(0.0, seconds - (time.monotonic() - started))
                found, positions = await read_freshness.order(
                    _reading(get_order), orderId, sequence, left
                )
        except NotReached as not_reached:
            return cast("Response[OrderDetailBody]", not_reached_response(not_reached))
        if found is None:  # pragma: no cover - minSequence >= 1 is never reached by nothing
            raise NotFound(f"order {orderId!r} not found")
        detail = found
        etag = order_etag(detail.view)
        headers = {"ETag": etag, **_CACHING, **position_headers(positions)}
        if none_match_hits(if_none_match, etag):
            return cast(
                "Response[OrderDetailBody]", Response(None, status_code=304, headers=headers)
            )
        return Response(order_detail(detail.view, detail.lines), headers=headers)

    @get(
        "/",
        summary="List orders",
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
    async def search_orders(
        self,
        request: Request[Any, Any, Any],
        list_orders: NamedDependency[ListOrders],
        read_freshness: NamedDependency[ReadFreshness],
        status: Statuses = None,
        customer_id: CustomerId = None,
        updated_from: UpdatedFrom = None,
        updated_to: UpdatedTo = None,
        sort: SortParam = None,
        page: PageParam = None,
        page_size: PageSizeParam = None,
        cursor: CursorParam = None,
        min_position: MinPositionParam = None,
        wait: WaitParam = None,
    ) -> Response[OrderListBody]:
        """A page of orders, filtered and sorted; keyset `cursor` or `page` number; with
        `minPosition`, once the views have caught up with the client's writes."""
        path = f"{request.scope.get('root_path', '')}{self.path}"
        return await order_list_response(
            path,
            list_orders,
            read_freshness,
            OrderListParams(
                status, customer_id, updated_from, updated_to, sort, page, page_size, cursor
            ),
            min_position,
            wait,
        )


class OrderListParams(NamedTuple):
    """The query parameters of a listing of orders, as the client sent them."""

    status: list[str] | None
    customer_id: str | None
    updated_from: str | None
    updated_to: str | None
    sort: str | None
    page: str | None
    page_size: str | None
    cursor: str | None


async def order_list_response(
    path: str,
    list_orders: ListOrders,
    read_freshness: ReadFreshness,
    params: OrderListParams,
    min_position: str | None,
    wait: str | None,
    *,
    customer_in_path: bool = False,
) -> Response[OrderListBody]:
    """A page of orders at `path` (`GET /orders`, or a listing under another resource whose
    path names the customer: `customer_in_path` keeps `customerId` out of the Link URLs)."""
    moments = parse_moment("from", params.updated_from), parse_moment("to", params.updated_to)
    statuses = split_statuses(params.status)
    wanted = _min_position(min_position)
    seconds = parse_wait(wait, read_freshness.max_wait_seconds)
    try:
        await read_freshness.await_positions(wanted, seconds)
    except NotReached as not_reached:
        return cast("Response[OrderListBody]", not_reached_response(not_reached))
    positions = read_freshness.positions  # before the read: the token never overstates
    result = await list_orders(
        ListRequest(
            statuses=statuses,
            customer_id=customer_filter(params.customer_id),
            updated_from=moments[0],
            updated_to=moments[1],
            sort=params.sort,
            page=parse_page(params.page),
            page_size=parse_page_size(params.page_size),
            cursor=params.cursor,
        )
    )
    # The listing's own filters: with a cursor, those not sent are the cursor's.
    filters = result.filters
    kept = [("status", s.value) for s in filters.statuses]
    if filters.customer_id is not None and not customer_in_path:
        kept += [("customerId", filters.customer_id)]
    bounds = filters.updated_from, filters.updated_to
    kept += [(n, rfc3339(m)) for n, m in zip(("from", "to"), bounds, strict=True) if m]
    kept += [("sort", str(result.sort)), ("pageSize", str(result.page_size))]
    link = page_links(path, kept, result)
    headers = {"Link": link} if link else {}
    return Response(order_list(result), headers={**headers, **position_headers(positions)})


def _min_position(text: str | None) -> dict[int, int] | None:
    return None if text is None else parse_min_position(text)


def _reading(get_order: GetOrder) -> Callable[[str], Awaitable[OrderDetail | None]]:
    async def read(order_id: str) -> OrderDetail | None:
        try:
            return await get_order(order_id)
        except NotFound:
            return None

    return read
