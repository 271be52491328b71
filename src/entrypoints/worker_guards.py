"""What the worker checks before it consumes, and how it tells a denial from an outage.

- `start_refusal`: a reason not to start at all: the broker will never accept these settings
  (wrong CA, refused client certificate, wrong password: named by adapters.kafka.access), or
  the topic fails a guard rail that stops the worker (a compacted topic). Other problems of
  the topic are logged and shown in `/lags`.
- `outage_or_denial`: the worker's "wait and retry" test, extended to authorization errors:
  a missing ACL is logged with its name, shown in `/lags`, and turns the state FAILED, while
  the worker keeps retrying (slowly) instead of exiting into a restart loop; granting the
  ACL is enough to resume.
"""

from __future__ import annotations

from collections.abc import Callable

from loguru import logger

from adapters.kafka.access import Names, connection_problem, denial
from adapters.kafka.security import KafkaSecurity
from application.ports import ViewStore
from application.topic_guard import GuardTopic, Severity, TopicProblems, refusals


class WorkerGuards:
    def __init__(
        self,
        bootstrap: str,
        security: KafkaSecurity,
        names: Names,
        store: ViewStore,
        guard: GuardTopic,
        problems: TopicProblems,
    ) -> None:
        self._bootstrap, self._security, self._names = bootstrap, security, names
        self._store, self._guard, self._problems = store, guard, problems

    async def start_refusal(self) -> str | None:
        bootstrap, security = self._bootstrap, self._security
        logger.info("kafka at {}: {}", bootstrap, security.describe())  # no secret in it
        problem = await connection_problem(bootstrap, security)
        if problem is not None:
            return f"cannot use Kafka: {problem}"
        try:
            positions = await self._store.positions(self._names.group, self._names.topic)
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

    def outage_or_denial(
        self, is_outage: Callable[[Exception], bool]
    ) -> Callable[[Exception], bool]:
        names, problems = self._names, self._problems

        def wait_for_it(error: Exception) -> bool:
            message = denial(error, names)
            if message is None:
                return is_outage(error)
            problems.denied(message)
            logger.error("{}", message)
            return True

        return wait_for_it
