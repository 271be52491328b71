"""The customers view's routers over each backend: the PostgreSQL reader on the API's pool, or
the in-memory reader on the view's in-memory rows (what its ViewPlugin declares)."""

from __future__ import annotations

from litestar import Router

from application.cursors import CursorCodec
from entrypoints.views import ReadContext
from views.customers.http import routes
from views.customers.memory_reads import CustomerRows, MemoryCustomerReader
from views.customers.postgres_reads import PostgresCustomerReader


def postgres_routes(ctx: ReadContext) -> list[Router]:
    """`ctx.source` is the API's AsyncConnectionPool, `ctx.cursors` the service's CursorCodec."""
    return routes(PostgresCustomerReader(ctx.source), ctx.cursors)


def memory_routes(state: CustomerRows, cursors: CursorCodec) -> list[Router]:
    """`state` holds the view's rows (views.customers.memory.MemoryCustomers)."""
    return routes(MemoryCustomerReader(state), cursors)
