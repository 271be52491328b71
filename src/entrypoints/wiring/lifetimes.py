"""What a process holds open while it runs: its pools, its long-lived clients, its background
services; each opened once at the process's start and closed once at its stop, here and
nowhere else (no use case closes a client it was given).

Each is a dependency-injector `Resource` of a kind, so that a process holds only its own:
- `ApiResource`: the API's pool, and the Kafka client only the API may connect (the redrive
  sender); held by a process that serves the API or asks what it asks (`rebuild`, `dlq`);
- `WorkerResource`: the worker's pool and its dead-letter producer; held by a process that
  runs the worker (or replays for a rebuild);
- `SharedResource`, of both kinds: the end offsets (the lag, the topic guard, readiness);
- `ServerResource`: what runs in the background for the API's clients (the change feed),
  held only by a process that serves HTTP.
A process holds them with `holding(container, *kinds)`: each kind initialised once at its
start, in the order given, and shut down once at its stop, in the reverse order (so the
change feed starts after the pools open and stops before they close); `streamview run`
holds every kind, and a Resource of two kinds is opened and closed once all the same. The
worker that `run` starts again after a failure uses the same clients.

A Resource here is the *lifetime* of a pool or client, not the provider its users are given:
they get its Singleton (made closed, without I/O; clients connect when first used).
dependency-injector turns every provider that depends on an async Resource into an async one
(it returns awaitables from then on): each store, each use case and the worker would have to
be awaited to be built.

Pools are opened without waiting: the API starts while PostgreSQL is away (its reads answer
503 and /health/ready says why until the database is back), and the worker waits for a
connection itself at each start (application.ingestion), within `streamview run`'s restarts
with backoff: a start that fails leaves the pool open for the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

from dependency_injector import containers, providers
from psycopg_pool import AsyncConnectionPool


class ApiResource(providers.Resource[Any]):
    """Held by a process that serves the API (or asks what it asks: `rebuild`, `dlq`)."""


class WorkerResource(providers.Resource[Any]):
    """Held by a process that runs the worker (or replays for a rebuild)."""


class SharedResource(ApiResource, WorkerResource):
    """Held by a process of either kind; opened and closed once by one of both."""


class ServerResource(providers.Resource[Any]):
    """Held by a process that serves HTTP, after its pools: its background services."""


# `streamview run`: the pools and clients first, the background services last.
EVERY_KIND: tuple[type[providers.Resource[Any]], ...] = (
    ApiResource,
    WorkerResource,
    ServerResource,
)


class Closable(Protocol):
    async def close(self) -> None: ...


class Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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


async def started(service: Startable) -> AsyncIterator[Startable]:
    """A background service, running until the process stops."""
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@asynccontextmanager
async def holding(
    container: containers.Container, *kinds: type[providers.Resource[Any]]
) -> AsyncIterator[None]:
    """The container's Resources of these kinds (by default every kind), initialised kind by
    kind on entry and shut down in the reverse order on exit (each, whatever the others do)."""
    async with AsyncExitStack() as stack:
        for kind in kinds or EVERY_KIND:
            stack.push_async_callback(_shut_down, container, kind)
            await _done(container.init_resources(kind))
        yield


async def _shut_down(container: containers.Container, kind: type[providers.Resource[Any]]) -> None:
    await _done(container.shutdown_resources(kind))


async def _done(result: Awaitable[None] | None) -> None:
    if result is not None:  # None when no Resource of the kind is async, or none is left open
        await result
