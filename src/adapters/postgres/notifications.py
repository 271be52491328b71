"""The change feed of one process: a single LISTEN connection, woken by the projection's
commits (NOTIFY in the batch transaction), that reads the new change-log rows and the consumer
positions once per commit and publishes them to the in-process ChangeHub.

However many clients wait or stream, the database sees this one connection and one small read
per committed batch. Notifications that arrive while it reads are queued by libpq and wake it
again; when none arrives for `idle_seconds` it reads anyway (cheap), which also covers a
notification lost with a connection. After a lost connection it reconnects and carries on from
the last change id it published: nothing is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import psycopg
from loguru import logger
from psycopg import AsyncConnection, sql

from adapters.postgres.change_log import COMMITS_CHANNEL, changes_since, last_change_id
from adapters.postgres.tables import POSITIONS_TABLE
from application.change_hub import ChangeHub
from application.ports import ChangeLog

READ_LIMIT = 5000  # change rows per read; a larger backlog is read in several
_POSITIONS = sql.SQL(
    "SELECT partition, next_offset FROM {} WHERE consumer_group = %s AND topic = %s"
).format(POSITIONS_TABLE)


class PostgresChangeFeed:
    def __init__(
        self,
        dsn: str,
        hub: ChangeHub,
        consumer_group: str,
        topic: str,
        log: ChangeLog | None = None,
        retention_seconds: float = 86_400,
        prune_every_seconds: float = 60.0,
        idle_seconds: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._hub = hub
        self._group = consumer_group
        self._topic = topic
        self._log = log
        self._retention = retention_seconds
        self._prune_every = prune_every_seconds
        self._idle = idle_seconds
        self._task: asyncio.Task[None] | None = None
        self._started = False

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="streamview-change-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._hub.connected = False

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await AsyncConnection.connect(self._dsn, autocommit=True) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(COMMITS_CHANNEL)))
                    if not self._started:  # streams start from now; the log has the past
                        self._hub.head = max(self._hub.head, await last_change_id(conn))
                        self._started = True
                    self._hub.connected = True
                    delay = 0.5
                    await self._follow(conn)
            except (psycopg.Error, OSError) as error:
                logger.warning("change feed: database connection lost ({!r}); retrying", error)
            except Exception:  # the feed must outlive any surprise; the log has the changes
                logger.exception("change feed failed; starting it again")
            self._hub.connected = False
            await asyncio.sleep(delay)
            delay = min(10.0, delay * 2)

    async def _follow(self, conn: AsyncConnection) -> None:
        pruned_at = time.monotonic()
        while True:
            await self._read(conn)
            if self._log is not None and time.monotonic() - pruned_at > self._prune_every:
                pruned_at = time.monotonic()
                await self._prune()
            async for _ in conn.notifies(timeout=self._idle, stop_after=1):
                pass

    async def _read(self, conn: AsyncConnection) -> None:
        """Everything committed since the last read: positions first, then the changes, so
        that the positions published never run ahead of the changes published with them."""
        rows = await (await conn.execute(_POSITIONS, (self._group, self._topic))).fetchall()
        positions: dict[int, int] = dict(rows)
        while True:
            changes = await changes_since(conn, self._hub.head, READ_LIMIT)
            last = len(changes) < READ_LIMIT
            self._hub.publish(changes, positions if last else {})
            if last:
                return

    async def _prune(self) -> None:
        assert self._log is not None
        try:
            gone = await self._log.prune(self._retention)
        except Exception as error:  # pruning is housekeeping: the next round tries again
            logger.warning("change log pruning failed: {!r}", error)
            return
        if gone:
            logger.bind(pruned=gone).info("change log pruned past its retention")
