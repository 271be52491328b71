"""Guard rails on the consumed topic, and what is currently wrong with it or with our access.

- `cleanup.policy=compact` deletes superseded events that a rebuild needs: refused at start
  unless allowed;
- a retention shorter than the configured minimum: a warning (an outage longer than it
  loses records);
- a stored position below a partition's log start: records deleted before they were
  consumed; an error with their number, and a metric (never a silent skip);
- a partition count other than the one the positions were stored for: per-order ordering
  holds within one partition only, so adding partitions breaks it; reported;
- the broker denying an operation (a missing ACL): an error naming the ACL; the worker waits
  for it to be granted rather than exiting into a restart loop.

`TopicProblems` keeps the current list; `/lags` shows it and the worker's state reads FAILED
while a denial is recent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from enum import StrEnum

import msgspec

from application.consuming import RebuildAwareStatus
from application.ports import ConsumerState, LossMetric, TopicFacts, TopicInspector


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ProblemCode(StrEnum):
    ACCESS_DENIED = "ACCESS_DENIED"
    COMPACTED_TOPIC = "COMPACTED_TOPIC"
    SHORT_RETENTION = "SHORT_RETENTION"
    RECORDS_LOST = "RECORDS_LOST"
    PARTITION_COUNT_CHANGED = "PARTITION_COUNT_CHANGED"


class Problem(msgspec.Struct, frozen=True):
    code: ProblemCode
    severity: Severity
    message: str
    partition: int | None = None
    records_lost: int | None = None


class GuardSettings(msgspec.Struct, frozen=True):
    topic: str
    allow_compacted: bool = False
    min_retention_ms: int = 7 * 24 * 3600 * 1000


def check_settings(facts: TopicFacts, settings: GuardSettings) -> list[Problem]:
    problems = []
    if "compact" in facts.cleanup_policy and not settings.allow_compacted:
        problems.append(
            Problem(
                ProblemCode.COMPACTED_TOPIC,
                Severity.ERROR,
                f"topic {settings.topic!r} has cleanup.policy={facts.cleanup_policy}: compaction "
                "deletes the superseded events a rebuild of the views needs; refused (set "
                "STREAMVIEW_TOPIC_ALLOW_COMPACTED=true to accept it)",
            )
        )
    if 0 <= facts.retention_ms < settings.min_retention_ms:
        problems.append(
            Problem(
                ProblemCode.SHORT_RETENTION,
                Severity.WARNING,
                f"topic {settings.topic!r} keeps records {_duration(facts.retention_ms)} "
                f"(retention.ms={facts.retention_ms}), less than the "
                f"{_duration(settings.min_retention_ms)} of STREAMVIEW_TOPIC_MIN_RETENTION_MS: "
                "a longer outage loses records",
            )
        )
    return problems


def check_partitions(topic: str, partitions: set[int], expected: set[int]) -> list[Problem]:
    """`expected`: the partitions seen at start, with those positions were stored for."""
    if not expected or partitions == expected:
        return []
    return [
        Problem(
            ProblemCode.PARTITION_COUNT_CHANGED,
            Severity.ERROR,
            f"topic {topic!r} has {len(partitions)} partitions, {len(expected)} when this "
            "worker started or its positions were stored: the events of one order may now be "
            "spread over two partitions and their order is no longer guaranteed",
        )
    ]


def _duration(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


class TopicProblems:
    """The current problems: those of the last check, the records lost so far, and recent
    denials (forgotten `denial_seconds` after the last one: the ACL was granted)."""

    def __init__(
        self,
        metric: LossMetric | None = None,
        denial_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metric = metric
        self._denial_seconds = denial_seconds
        self._clock = clock
        self._checked: list[Problem] = []
        self._lost: dict[int, Problem] = {}
        self._lost_until: dict[int, int] = {}
        self._denials: dict[str, tuple[float, Problem]] = {}
        self.expected_partitions: set[int] = set()

    def checked(self, problems: list[Problem]) -> None:
        self._checked = list(problems)

    def denied(self, message: str) -> None:
        """The consumer was denied something it needs: blocked until it works again."""
        problem = Problem(ProblemCode.ACCESS_DENIED, Severity.ERROR, message)
        self._denials[message] = (self._clock(), problem)

    def consuming(self) -> None:
        """The consumer works again: whatever was denied has been granted."""
        self._denials.clear()

    def not_checked(self, message: str) -> None:
        """The checks themselves were denied (no DESCRIBE_CONFIGS): say so, without blocking."""
        known = [p for p in self._checked if p.code != ProblemCode.ACCESS_DENIED]
        self._checked = [Problem(ProblemCode.ACCESS_DENIED, Severity.ERROR, message), *known]

    def records_lost(self, topic: str, partition: int, position: int, log_start: int) -> int:
        """Report the records between `position` and `log_start` that were never consumed;
        returns how many of them were not reported before (counted once in the metric)."""
        counted_until = max(position, self._lost_until.get(partition, position))
        new = max(0, log_start - counted_until)
        if new == 0:
            return 0
        self._lost_until[partition] = log_start
        total = new + (self._lost[partition].records_lost or 0 if partition in self._lost else 0)
        self._lost[partition] = Problem(
            ProblemCode.RECORDS_LOST,
            Severity.ERROR,
            f"{total} records of {topic!r} partition {partition} were deleted by the broker "
            f"before they were consumed (position {position}, log start {log_start}): the "
            "views miss their events",
            partition=partition,
            records_lost=total,
        )
        if self._metric is not None:
            self._metric.records_lost(partition, new)
        return new

    @property
    def blocked(self) -> bool:
        """A recent denial: the consumer cannot work until an ACL is granted."""
        return bool(self._recent_denials())

    def current(self) -> list[Problem]:
        lost = [self._lost[p] for p in sorted(self._lost)]
        return [*self._recent_denials(), *self._checked, *lost]

    def _recent_denials(self) -> list[Problem]:
        now = self._clock()
        for message, (at, _) in list(self._denials.items()):
            if now - at > self._denial_seconds:
                del self._denials[message]
        return [problem for _, problem in self._denials.values()]


class GuardedStatus(RebuildAwareStatus):
    """The worker's state, read as FAILED while the broker denies it something."""

    def __init__(self, problems: TopicProblems) -> None:
        self._problems = problems
        super().__init__()

    @property
    def state(self) -> ConsumerState:
        if self._problems.blocked and self._state != ConsumerState.STOPPED:
            return ConsumerState.FAILED
        return super().state

    @state.setter
    def state(self, state: ConsumerState) -> None:
        if state == ConsumerState.RUNNING:
            self._problems.consuming()
        self._state = state


class GuardTopic:
    """Runs the checks: at start (a refused topic raises TopicRefused) and at each lag refresh."""

    def __init__(
        self,
        inspector: TopicInspector,
        problems: TopicProblems,
        settings: GuardSettings,
    ) -> None:
        self._inspector = inspector
        self._problems = problems
        self._settings = settings

    async def __call__(self, positions: Mapping[int, int]) -> list[Problem]:
        """The current problems, checked again if the broker answers (it may not: this runs
        in the lag report, which must work while the broker is away)."""
        try:
            return await self.check(positions)
        except PermissionError as error:  # the inspector names the missing ACL
            self._problems.not_checked(str(error))
        except Exception:  # unreachable: the problems last found still stand
            pass
        return self._problems.current()

    async def check(self, positions: Mapping[int, int]) -> list[Problem]:
        """Check the topic against the stored `positions`; returns the current problems.
        Raises what the inspector raises (LookupError: no such topic; PermissionError)."""
        facts = await self._inspector.facts(self._settings.topic)
        partitions = set(facts.log_starts)
        if not self._problems.expected_partitions:  # the first check: the process's baseline
            self._problems.expected_partitions = partitions | set(positions)
        found = check_settings(facts, self._settings) + check_partitions(
            self._settings.topic, partitions, self._problems.expected_partitions
        )
        self._problems.checked(found)
        for partition, position in positions.items():
            start = facts.log_starts.get(partition)
            if start is not None and position < start:
                self._problems.records_lost(self._settings.topic, partition, position, start)
        return self._problems.current()


class TopicRefused(Exception):
    """The topic fails a guard rail that stops the worker (a compacted topic)."""


def refusals(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.code == ProblemCode.COMPACTED_TOPIC]
