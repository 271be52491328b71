"""`GET /event-counts/{orderId}`."""

from __future__ import annotations

from litestar import Controller, Router, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException

from streamview_event_counts.domain import EventCount
from streamview_event_counts.ports import EventCountReader


class EventCountsController(Controller):
    path = "/event-counts"
    tags = ("event counts",)

    @get("/{orderId:str}", summary="How many events an order applied")
    async def show(
        self, orderId: str, event_counts: NamedDependency[EventCountReader]
    ) -> EventCount:
        """The order's count of applied events and the type of the last one."""
        found = await event_counts.get(orderId)
        if found is None:
            raise NotFoundException(f"no events counted for order {orderId!r}")
        return found


def routes(reader: EventCountReader) -> list[Router]:
    def provide() -> EventCountReader:
        return reader

    return [
        Router(
            "/",
            route_handlers=[EventCountsController],
            dependencies={"event_counts": Provide(provide, sync_to_thread=False)},
        )
    ]
