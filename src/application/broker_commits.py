"""Copying the stored positions to the broker without waiting for it, for the standard tools.

The positions that count are stored with the views, in the batch's transaction; Kafka's
committed offsets are only a copy (kafka-consumer-groups, lag dashboards). Waiting for the
broker after every batch put a round trip on the worker's critical path, so the copy is sent
in the background: one request at a time, and positions handed over while one is in flight
replace the older ones of the same partitions in the next request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from loguru import logger

from application.ports import Position

Commit = Callable[[Sequence[Position]], Awaitable[None]]


class BrokerCommits:
    """Sends positions to the broker one request at a time, the newest per partition."""

    def __init__(self, commit: Commit) -> None:
        self._commit = commit  # best effort: the source logs its failures and never raises
        self._pending: dict[tuple[str, int], Position] = {}
        self._sending: asyncio.Task[None] | None = None

    def request(self, positions: Sequence[Position]) -> None:
        """Send these positions soon, after the request in flight if there is one."""
        self._pending.update(((p.topic, p.partition), p) for p in positions)
        if self._pending and (self._sending is None or self._sending.done()):
            self._sending = asyncio.create_task(self._send(), name="broker-commits")

    async def flush(self) -> None:
        """Return once every position requested so far has been sent (or has failed)."""
        if self._sending is not None and not self._sending.done():
            # Shielded: a flush given up on (a cancelled revocation) leaves the copy going.
            await asyncio.shield(self._sending)

    def cancel(self) -> None:
        """Abandon what is in flight or pending (the worker is being torn down)."""
        self._pending.clear()
        if self._sending is not None:
            self._sending.cancel()

    async def _send(self) -> None:
        while self._pending:
            positions, self._pending = tuple(self._pending.values()), {}
            try:
                await self._commit(positions)
            except Exception as error:  # a copy for the tools must never stop the worker
                logger.bind(positions=str(positions)).warning(
                    "kafka offset commit failed: {!r}", error
                )
