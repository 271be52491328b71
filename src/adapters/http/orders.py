"""`GET /orders/{orderId}` and `GET /orders`: the read side of CONTRACT §5."""

from __future__ import annotations

from typing import Any, cast

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from adapters.http.etags import none_match_hits, order_etag
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
from application.queries import GetOrder, ListOrders, ListRequest

MAX_ID_LENGTH = 64
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
            )
        ],
        responses={
            304: ResponseSpec(None, description="Not modified: `If-None-Match` holds the ETag"),
            400: problem_spec("A header is malformed"),
            404: problem_spec("No order with this id"),
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def show_order(
        self,
        orderId: FromPath[str],  # camelCase: the route template and metric label read `orderId`
        get_order: NamedDependency[GetOrder],
        if_none_match: IfNoneMatch = None,
    ) -> Response[OrderDetailBody]:
        """One order with its lines, ordered by lineNo."""
        if not orderId or len(orderId) > MAX_ID_LENGTH or "\x00" in orderId:
            raise NotFound(f"order {orderId!r} not found")  # cannot exist: no need to ask
        detail = await get_order(orderId)
        etag = order_etag(detail.view)
        headers = {"ETag": etag, **_CACHING}
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
            )
        ],
        responses={
            400: problem_spec("A parameter is invalid; `invalidParams` names it"),
            **unavailable_spec(),
            **limits_spec(),
        },
    )
    async def search_orders(
        self,
        request: Request[Any, Any, Any],
        list_orders: NamedDependency[ListOrders],
        status: Statuses = None,
        customer_id: CustomerId = None,
        updated_from: UpdatedFrom = None,
        updated_to: UpdatedTo = None,
        sort: SortParam = None,
        page: PageParam = None,
        page_size: PageSizeParam = None,
        cursor: CursorParam = None,
    ) -> Response[OrderListBody]:
        """A page of orders, filtered and sorted; keyset `cursor` or `page` number."""
        moments = parse_moment("from", updated_from), parse_moment("to", updated_to)
        statuses = split_statuses(status)
        result = await list_orders(
            ListRequest(
                statuses=statuses,
                customer_id=customer_filter(customer_id),
                updated_from=moments[0],
                updated_to=moments[1],
                sort=sort,
                page=parse_page(page),
                page_size=parse_page_size(page_size),
                cursor=cursor,
            )
        )
        # The listing's own filters: with a cursor, those not sent are the cursor's.
        filters = result.filters
        kept = [("status", s.value) for s in filters.statuses]
        kept += [("customerId", filters.customer_id)] if filters.customer_id is not None else []
        bounds = filters.updated_from, filters.updated_to
        kept += [(n, rfc3339(m)) for n, m in zip(("from", "to"), bounds, strict=True) if m]
        kept += [("sort", str(result.sort)), ("pageSize", str(result.page_size))]
        path = f"{request.scope.get('root_path', '')}{self.path}"
        link = page_links(path, kept, result)
        return Response(order_list(result), headers={"Link": link} if link else {})
