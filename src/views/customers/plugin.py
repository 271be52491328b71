"""The customers view's declaration (entry point `customers` of `streamview.views`): its
composition root, wiring its adapters as `entrypoints` wires the engine's."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from entrypoints.views import MemoryView, ReadContext, ViewPlugin, ViewSettings
from views.customers.memory import MemoryCustomers
from views.customers.postgres_writes import part_on_connection
from views.customers.routes import memory_routes, postgres_routes


def _memory(settings: ViewSettings) -> MemoryView:
    tables = MemoryCustomers()
    return MemoryView(
        part=tables.part_on_commit(settings.default_tax_rate),
        routes=lambda context: _memory_routes(tables, context),
    )


def _memory_routes(tables: MemoryCustomers, context: ReadContext) -> Sequence[Any]:
    return memory_routes(tables, context.cursors)


VIEW = ViewPlugin(
    name="customers",
    stream="orders",
    summary="per customer: orders, counts by status, totals per currency, first/last order",
    migrations=resources.files("views.customers") / "migrations",
    postgres_part=lambda settings: part_on_connection(settings.default_tax_rate),
    postgres_routes=postgres_routes,
    memory=_memory,
)
