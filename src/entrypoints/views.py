"""The view plug-ins: what a view declares to the engine, and how a deployment finds them.

A view is one package (its events' projection, tables, store, queries and routes) that
exposes one `ViewPlugin` under the `streamview.views` entry point group, as pytest finds its
plug-ins: StreamView's own views are registered in its pyproject.toml, and a team ships a
view as a wheel of its own that declares the same group. `STREAMVIEW_VIEWS` (comma-separated
names) says which of the installed views a deployment runs.

`orders` is the built-in view of the `orders` stream: its tables also hold that stream's
sequencing state (the last applied sequence per order, and the stash), so every deployment
runs it, and the other views of the stream fold the events its batch applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from importlib.resources.abc import Traversable
from typing import Any

from adapters.memory.views import PartOnCommit
from adapters.postgres.migrations import ViewSchema
from adapters.postgres.writer import PartOnConnection

ENTRY_POINT_GROUP = "streamview.views"
ORDERS = "orders"


@dataclass(frozen=True)
class ViewSettings:
    """What a view's projection may depend on besides its events."""

    default_tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class ReadContext:
    """What a view's routes are built over: the API's reading store of the backend (the
    PostgreSQL pool, or the view's in-memory state) and the service's cursor codec."""

    source: Any
    cursors: Any


@dataclass(frozen=True)
class MemoryView:
    """A view's in-memory backend: its share of each projection transaction, and the routes
    over the same state (one process: reads see the writes)."""

    part: PartOnCommit
    routes: Callable[[ReadContext], Sequence[Any]]


@dataclass(frozen=True)
class ViewPlugin:
    """What a view declares. `migrations` is a folder of `NNNN_name.sql` files, applied in
    order and recorded under the view's name (`streamview migrate`). The factories build the
    view's adapters: `postgres_part` its writes in each projection transaction,
    `postgres_routes` its Litestar routers (controllers with their dependencies),
    `memory` both for STREAMVIEW_BACKEND=memory."""

    name: str
    stream: str
    summary: str
    migrations: Traversable | None = None
    postgres_part: Callable[[ViewSettings], PartOnConnection] | None = None
    postgres_routes: Callable[[ReadContext], Sequence[Any]] | None = None
    memory: Callable[[ViewSettings], MemoryView] | None = None
    tags: Sequence[str] = field(default_factory=tuple)


# The built-in view: its tables, writes and routes are the engine's own (adapters.postgres,
# adapters.http.orders), so it declares no factories of its own.
ORDERS_VIEW = ViewPlugin(
    name=ORDERS,
    stream="orders",
    summary="orders_view and order_items_view: one row per order, one per line (CONTRACT §4)",
)


class UnknownView(ValueError):
    pass


def installed_views() -> dict[str, ViewPlugin]:
    """Every view plug-in installed in this environment, by name."""
    found: dict[str, ViewPlugin] = {ORDERS: ORDERS_VIEW}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry.load()
        if not isinstance(plugin, ViewPlugin) or plugin.name != entry.name:
            raise UnknownView(
                f"entry point {entry.name!r} of {ENTRY_POINT_GROUP} ({entry.value}) is not the "
                f"ViewPlugin named {entry.name!r}"
            )
        found.setdefault(plugin.name, plugin)
    return found


def parse_view_names(text: str) -> tuple[str, ...]:
    """`orders,customers` -> ("orders", "customers"); blanks and repeats dropped."""
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


def enabled_views(
    names: Sequence[str], installed: Mapping[str, ViewPlugin] | None = None
) -> list[ViewPlugin]:
    """The plug-ins of STREAMVIEW_VIEWS, in the order given; UnknownView names what is wrong."""
    installed = installed_views() if installed is None else installed
    unknown = [name for name in names if name not in installed]
    if unknown:
        raise UnknownView(
            f"STREAMVIEW_VIEWS names views that are not installed: {', '.join(unknown)} "
            f"(installed: {', '.join(sorted(installed))})"
        )
    if ORDERS not in names:
        raise UnknownView(
            "STREAMVIEW_VIEWS must include orders: its tables hold the orders stream's "
            "sequencing state, which every view of the stream shares"
        )
    return [installed[name] for name in names]


def postgres_parts(
    views: Sequence[ViewPlugin], settings: ViewSettings
) -> dict[str, PartOnConnection]:
    return {v.name: v.postgres_part(settings) for v in views if v.postgres_part is not None}


def memory_views(views: Sequence[ViewPlugin], settings: ViewSettings) -> dict[str, MemoryView]:
    return {v.name: v.memory(settings) for v in views if v.memory is not None}


def configured_views(names: str) -> list[ViewPlugin]:
    """The plug-ins of a STREAMVIEW_VIEWS value."""
    return enabled_views(parse_view_names(names))


def view_schemas(views: Sequence[ViewPlugin]) -> list[ViewSchema]:
    return [ViewSchema(v.name, v.migrations) for v in views if v.migrations is not None]


def postgres_routes(views: Sequence[ViewPlugin], context: ReadContext) -> list[Any]:
    return [r for v in views if v.postgres_routes is not None for r in v.postgres_routes(context)]


def memory_routes(views: Mapping[str, MemoryView], cursors: Any) -> list[Any]:
    return [r for v in views.values() for r in v.routes(ReadContext(None, cursors))]


def memory_parts(views: Mapping[str, MemoryView]) -> dict[str, PartOnCommit]:
    return {name: v.part for name, v in views.items()}
