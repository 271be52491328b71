"""What the worker checks before it consumes, and what it waits out rather than fail.

- `StartChecks`: the database's schema (waited for while the database is away), a connection
  of the pool, then a reason not to start at all: the broker will never accept these settings
  (wrong CA, refused client certificate, wrong password: named by the BrokerAccess), or the
  topic fails a guard rail that stops the worker (a compacted topic). Other problems of the
  topic are logged and shown in `/lags`.
- `OutageOrDenial`: the worker's "wait and retry" test, extended to authorization errors: a
  missing ACL is logged with its name, shown in `/lags`, and turns the state FAILED, while the
  worker keeps retrying (slowly) instead of exiting into a restart loop; granting the ACL is
  enough to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from loguru import logger

from application.consuming import ConsumeSettings
from application.errors import Unavailable
from application.ports import BrokerAccess, ConnectionPool, SchemaCheck, ViewStore
from application.topic_guard import GuardTopic, Severity, TopicProblems, refusals

POOL_WAIT_SECONDS = 30.0

IsOutage = Callable[[Exception], bool]


class StartChecks:
    def __init__(
        self,
        *,
        schema: SchemaCheck,
        pool: ConnectionPool,
        broker: BrokerAccess,
        store: ViewStore,
        guard: GuardTopic | None,  # None: a topic without guard rails (in memory)
        problems: TopicProblems,
        settings: ConsumeSettings,
    ) -> None:
        self._schema, self._pool, self._broker = schema, pool, broker
        self._store, self._guard, self._problems = store, guard, problems
        self._settings = settings

    async def schema_problem(self, stopping: asyncio.Event) -> str | None:
        """Why the database's schema is not the one this build needs, or None; waits for a
        database that is away (None too when stopped meanwhile)."""
        async for attempt in attempts(stopping):
            try:
                return await self._schema.problem()
            except Unavailable as error:
                logger.warning("database unreachable (attempt {}): {}", attempt, error)
        return None

    async def pool_answering(self) -> None:
        """Wait (up to POOL_WAIT_SECONDS) for a connection of the pool. A timeout fails this
        start; `streamview run` starts again after its backoff, with the same pool."""
        await self._pool.wait_connection(POOL_WAIT_SECONDS)

    async def refusal(self) -> str | None:
        """A reason not to start at all, or None."""
        logger.info("kafka at {}", self._broker.describe())  # no secret in it
        problem = await self._broker.connection_problem()
        if problem is not None:
            return f"cannot use Kafka: {problem}"
        if self._guard is None:
            return None
        try:
            positions = await self._store.positions(
                self._settings.consumer_group, self._settings.topic
            )
            problems = await self._guard.check(positions)
        except PermissionError as error:
            self._problems.not_checked(str(error))
            logger.error("{}", error)
            return None  # the topic could not be checked; consuming may still work
        except Exception as error:  # the broker is away: the lag refresh checks again later
            logger.warning("topic not checked at start: {!r}", error)
            return None
        for found in problems:
            log = logger.error if found.severity == Severity.ERROR else logger.warning
            log("topic guard: {}", found.message)
        refused = refusals(problems)
        return refused[0].message if refused else None


class OutageOrDenial:
    """An outage (as `is_outage` says: the technologies' own errors), or a denial the broker
    names: both are waited out; a denial is also logged and shown in `/lags`."""

    def __init__(self, is_outage: IsOutage, broker: BrokerAccess, problems: TopicProblems) -> None:
        self._is_outage, self._broker, self._problems = is_outage, broker, problems

    def __call__(self, error: Exception) -> bool:
        message = self._broker.denial(error)
        if message is None:
            return self._is_outage(error)
        self._problems.denied(message)
        logger.error("{}", message)
        return True


async def attempts(stopping: asyncio.Event, max_delay: float = 10.0) -> AsyncIterator[int]:
    """1, 2, 3, ... with a growing pause between them; ends early once `stopping` is set."""
    attempt, delay = 1, 0.2
    while not stopping.is_set():
        yield attempt
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        attempt, delay = attempt + 1, min(max_delay, delay * 2)
