"""What a process holds open while it runs: its pools, and the clients to close at its exit.

Each is a dependency-injector `Resource` of one of two kinds, so that a process opens only
its own: `ApiResource` (the API's pool, and the Kafka clients an API process may connect) and
`WorkerResource` (the worker's pool). A process holds them with `holding(container, kind)`:
`init_resources(kind)` awaited once at its start, `shutdown_resources(kind)` once at its stop;
`streamview run`, which holds both, every Resource.

A Resource here is the *lifetime* of a pool, not the provider its users are given: they get
the pool's Singleton (made closed, without I/O). dependency-injector turns every provider that
depends on an async Resource into an async one (it returns awaitables from then on): each
store, each use case and the worker would have to be awaited to be built.

Pools are opened without waiting: the API starts while PostgreSQL is away (its reads answer
503 and /health/ready says why until the database is back), and the worker waits for a
connection itself at each start (`Worker.run`), within `streamview run`'s restarts with
backoff: a start that fails leaves the pool open for the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from dependency_injector import containers, providers
from psycopg_pool import AsyncConnectionPool


class ApiResource(providers.Resource[Any]):
    """Held by a process that serves the API."""


class WorkerResource(providers.Resource[Any]):
    """Held by a process that runs the worker."""


class Closable(Protocol):
    async def close(self) -> None: ...


async def opened_pool(pool: AsyncConnectionPool) -> AsyncIterator[AsyncConnectionPool]:
    """Open (connecting in the background, without waiting) until the process stops."""
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()


async def closed_at_exit(client: Closable) -> AsyncIterator[Closable]:
    """A client that connects when first used (if ever), closed when the process stops."""
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def holding(
    container: containers.Container, kind: type[providers.Resource[Any]] = providers.Resource
) -> AsyncIterator[None]:
    """The container's Resources of this kind, initialised on entry and shut down on exit."""
    try:
        await _done(container.init_resources(kind))
        yield
    finally:
        await _done(container.shutdown_resources(kind))


async def _done(result: Awaitable[None] | None) -> None:
    if result is not None:  # None when no Resource of the kind is async, or none is left open
        await result
