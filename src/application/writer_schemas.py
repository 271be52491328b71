"""The writer schemas of registry-framed records: a cache in front of the `SchemaSource` port."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping

from application.ports import SchemaSource
from domain.wire_format import WriterSchema


class CachedSchemas:
    """A SchemaSource that asks its source once per id: a schema id names immutable content,
    so a schema once found is kept for good. Concurrent requests for the same id share one
    request. An id the registry does not know is not kept (it may be registered later), nor
    is a failure."""

    def __init__(self, source: SchemaSource, max_concurrent_requests: int = 8) -> None:
        self._source = source
        self._known: dict[int, WriterSchema] = {}
        self._pending: dict[int, asyncio.Future[WriterSchema | None]] = {}
        # A batch of hostile records can carry thousands of distinct ids: the registry is
        # asked a few at a time.
        self._requests = asyncio.Semaphore(max_concurrent_requests)

    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        known = self._known.get(schema_id)
        if known is not None:
            return known
        pending = self._pending.get(schema_id)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(schema_id))
            self._pending[schema_id] = pending
            pending.add_done_callback(lambda _: self._pending.pop(schema_id, None))
        # Shielded: one waiter cancelled (a stopping worker) does not cancel the others' request.
        return await asyncio.shield(pending)

    async def _fetch(self, schema_id: int) -> WriterSchema | None:
        async with self._requests:
            schema = await self._source.writer_schema(schema_id)
        if schema is not None:
            self._known[schema_id] = schema
        return schema


async def resolve(source: SchemaSource, ids: Collection[int]) -> Mapping[int, WriterSchema]:
    """The schemas of `ids` the registry knows; raises RegistryUnavailable if it cannot say."""
    if not ids:
        return {}
    ordered = sorted(ids)
    found = await asyncio.gather(*(source.writer_schema(i) for i in ordered))
    return {i: schema for i, schema in zip(ordered, found, strict=True) if schema is not None}
