"""Change streams as Server-Sent Events: `GET /changes/orders` and `/changes/orders/{orderId}`.

Under `/changes`, not `/orders/changes`, so that no path can shadow an order id (an order may
be called `changes`). One event per order changed by a committed batch: `id` is the change id
(monotonic), `event: order`, `data` the order's summary (with `lastEventSequence`) as the
batch left it. A client that reconnects with `Last-Event-ID` gets every later change once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType
from litestar.params import FromPath, HeaderParameter
from litestar.response import Stream

from adapters.http.dependencies import use_cases
from adapters.http.limits import limits_spec
from adapters.http.params import CustomerId, Statuses, customer_filter, optional, split_statuses
from adapters.http.problems import (
    RETRY_AFTER_SECONDS,
    TYPE_UNAVAILABLE,
    problem_response,
    problem_spec,
    unavailable_spec,
)
from adapters.http.schemas import order_summary
from application.change_hub import SubscribersFull
from application.change_stream import ChangeStream, OpenChangeStream, ResumeGone
from application.errors import InvalidParameter
from application.ports import Change, ChangeFilter
from domain.events import OrderStatus, is_identifier

EVENT_STREAM = "text/event-stream"
TYPE_GONE = "urn:streamview:problem:changes-gone"
RETRY_MS = 2000  # how long an EventSource waits before it reconnects
_encode = msgspec.json.Encoder().encode
_HEARTBEAT = b": heartbeat\n\n"

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        description="Resume after this event id: every later change, none twice. 410 when "
        "the changes after it are past the retention.",
        max_length=32,
        schema_extra=optional(OpenAPIType.STRING, pattern="^[0-9]{1,18}$"),
    ),
]


def render_change(change: Change) -> bytes:
    """The SSE frame of one change, rendered once for every stream that gets it."""
    data = _encode(order_summary(change.view))
    return b"id: %d\nevent: order\ndata: %s\n\n" % (change.change_id, data)


def parse_last_event_id(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidParameter("Last-Event-ID", "must be an event id from this stream")
    return int(text)


def _statuses(values: list[str] | None) -> frozenset[OrderStatus]:
    statuses = set()
    for text in split_statuses(values):
        try:
            statuses.add(OrderStatus(text))
        except ValueError:
            known = ", ".join(s.value for s in OrderStatus)
            raise InvalidParameter("status", f"unknown status {text!r}; use {known}") from None
    return frozenset(statuses)


async def _frames(stream: ChangeStream, sent: Callable[[int], None]) -> AsyncIterator[bytes]:
    yield b"retry: %d\n: connected\n\n" % RETRY_MS  # sends the headers at once
    try:
        async for batch in stream:
            if batch is None:
                yield _HEARTBEAT
                continue
            yield b"".join(d.rendered for d in batch)
            sent(len(batch))
    except ResumeGone as gone:
        yield b"event: gone\ndata: %s\n\n" % _encode({"detail": str(gone)})
        return
    finally:  # a client that hung up closes this generator, not the one it iterates
        stream.close()
    if stream.dropped:
        detail = "this client fell too far behind; reconnect with Last-Event-ID to resume"
        yield b"event: dropped\ndata: %s\n\n" % _encode({"detail": detail})


_RESPONSES: dict[int, ResponseSpec] = {
    200: ResponseSpec(
        str,
        description="An event stream: `id: <changeId>`, `event: order`, `data: <OrderSummary>`"
        " per changed order; `: heartbeat` comments; `event: dropped` before the server ends "
        "the stream of a client too slow to keep up (reconnect with Last-Event-ID)",
        media_type=EVENT_STREAM,
        generate_examples=False,
    ),
    400: problem_spec("A parameter or Last-Event-ID is invalid; `invalidParams` names it"),
    410: problem_spec(
        "The changes after Last-Event-ID are past the retention: re-read GET /orders, then "
        "subscribe without Last-Event-ID"
    ),
    **unavailable_spec(),
    **limits_spec(),
}
_RESPONSES[503] = problem_spec(
    "The database did not answer, this process serves its maximum of change streams, or its "
    "change feed is starting"
)


def changes_controller(
    open_stream: Callable[[], OpenChangeStream], sent: Callable[[int], None]
) -> type[Controller]:
    """The change-stream routes over this use case factory; `sent` counts events written."""

    async def respond(
        open_change_stream: OpenChangeStream, filter_: ChangeFilter, last_event_id: str | None
    ) -> Response[Any]:
        after = parse_last_event_id(last_event_id)
        try:
            stream = await open_change_stream(filter_, after)
        except SubscribersFull as full:
            return problem_response(
                503,
                f"{full}; retry later",
                type_=TYPE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        except ResumeGone as gone:
            return problem_response(410, str(gone), type_=TYPE_GONE)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return Stream(_frames(stream, sent), media_type=EVENT_STREAM, headers=headers)

    class ChangesController(Controller):
        path = "/changes"
        tags = ("changes",)
        dependencies = use_cases(open_change_stream=open_stream)

        @get("/orders", summary="Stream changes of the orders view", responses=_RESPONSES)
        async def stream_orders(
            self,
            open_change_stream: NamedDependency[OpenChangeStream],
            status: Statuses = None,
            customer_id: CustomerId = None,
            last_event_id: LastEventId = None,
        ) -> Response[Any]:
            """Server-Sent Events: every order a committed batch changes, optionally only
            those in `status` or of `customerId`."""
            filter_ = ChangeFilter(
                customer_id=customer_filter(customer_id), statuses=_statuses(status)
            )
            return await respond(open_change_stream, filter_, last_event_id)

        @get("/orders/{orderId:str}", summary="Stream changes of one order", responses=_RESPONSES)
        async def stream_order(
            self,
            orderId: FromPath[str],
            open_change_stream: NamedDependency[OpenChangeStream],
            last_event_id: LastEventId = None,
        ) -> Response[Any]:
            """Server-Sent Events: every change of this order."""
            if not is_identifier(orderId):
                raise InvalidParameter("orderId", "must be 1 to 64 characters, without NUL")
            return await respond(open_change_stream, ChangeFilter(order_id=orderId), last_event_id)

    return ChangesController
