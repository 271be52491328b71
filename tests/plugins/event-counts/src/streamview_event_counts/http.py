"""`GET /event-counts/{orderId}`."""

from __future__ import annotations

from litestar import Controller, Router, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException

from streamview_event_counts.domain import EventCount
from streamview_event_counts.ports import EventCountReader
from streamview_event_counts.queries import GetEventCount


class EventCountsController(Controller):
    path = "/event-counts"
    tags = ("event counts",)

    @get("/{orderId:str}", summary="How many events an order applied")
    async def show(
        self, orderId: str, get_event_count: NamedDependency[GetEventCount]
    ) -> EventCount:
        """The order's count of applied events and the type of the last one."""
        found = await get_event_count(orderId)
        if found is None:
            raise NotFoundException(f"no events counted for order {orderId!r}")
        return found


def routes(reader: EventCountReader) -> list[Router]:
    """The view's routes, with their use case as a dependency (a class: Litestar checks a
    dependency's type at run time, which a Protocol cannot be checked against)."""

    def provide() -> GetEventCount:
        return GetEventCount(reader)

    return [
        Router(
            "/",
            route_handlers=[EventCountsController],
            dependencies={"get_event_count": Provide(provide, sync_to_thread=False)},
        )
    ]
