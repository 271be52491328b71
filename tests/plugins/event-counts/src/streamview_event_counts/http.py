"""`GET /event-counts/{orderId}`."""

from __future__ import annotations

import msgspec
from litestar import Controller, Router, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from adapters.http.dependencies import use_cases
from streamview_event_counts.ports import EventCountReader
from streamview_event_counts.queries import GetEventCount


class EventCountBody(msgspec.Struct, frozen=True, rename="camel"):
    """The response: camelCase, as every StreamView body (the row's columns stay snake_case)."""

    order_id: str
    events: int
    last_type: str
    last_event_sequence: int


class EventCountsController(Controller):
    path = "/event-counts"
    tags = ("event counts",)

    @get("/{orderId:str}", summary="How many events an order applied")
    async def show(
        self, orderId: FromPath[str], get_event_count: NamedDependency[GetEventCount]
    ) -> EventCountBody:
        """The order's count of applied events and the type of the last one."""
        found = await get_event_count(orderId)
        if found is None:
            raise NotFoundException(f"no events counted for order {orderId!r}")
        return EventCountBody(**msgspec.structs.asdict(found))


def routes(reader: EventCountReader) -> list[Router]:
    """The view's routes, with their use case as a dependency, given the engine's way."""
    return [
        Router(
            "/",
            route_handlers=[EventCountsController],
            dependencies=use_cases(get_event_count=lambda: GetEventCount(reader)),
        )
    ]
