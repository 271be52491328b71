"""The one thing StreamView looks for: the view's declaration (entry point `event_counts`)."""

from __future__ import annotations

from importlib import resources

from entrypoints.views import MemoryView, ReadContext, ViewPlugin, ViewSettings
from streamview_event_counts import http, postgres
from streamview_event_counts.memory import MemoryEventCounts


def _memory(_: ViewSettings) -> MemoryView:
    state = MemoryEventCounts()
    return MemoryView(part=state.part, routes=lambda _context: http.routes(state))


VIEW = ViewPlugin(
    name="event_counts",
    stream="orders",
    summary="per order: how many of its events were applied, and the type of the last one",
    migrations=resources.files("streamview_event_counts") / "migrations",
    postgres_part=lambda _settings: postgres.part,
    postgres_routes=lambda context: http.routes(postgres.PostgresEventCountReader(context.source)),
    memory=_memory,
)

__all__ = ["VIEW", "ReadContext"]
