"""Guard rails on the consumed topic: refused, warned, counted and reported, never silent."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from adapters.kafka.access import Names, denial
from application.ports import ConsumerState, LossMetric, TopicFacts, TopicInspector
from application.topic_guard import (
    GuardedStatus,
    GuardSettings,
    GuardTopic,
    ProblemCode,
    Severity,
    TopicProblems,
    refusals,
)

pytestmark = pytest.mark.unit

DAY_MS = 24 * 3600 * 1000


class FakeInspector:
    def __init__(self, facts: TopicFacts) -> None:
        self.facts_now = facts
        self.error: Exception | None = None

    async def facts(self, topic: str) -> TopicFacts:
        if self.error is not None:
            raise self.error
        return self.facts_now


class FakeLossMetric:
    def __init__(self) -> None:
        self.lost: dict[int, int] = {}

    def records_lost(self, partition: int, count: int) -> None:
        self.lost[partition] = self.lost.get(partition, 0) + count


def _facts(policy: str = "delete", retention_ms: int = 30 * DAY_MS, **starts: int) -> TopicFacts:
    log_starts = {int(k[1:]): v for k, v in starts.items()} or {0: 0, 1: 0}
    return TopicFacts(cleanup_policy=policy, retention_ms=retention_ms, log_starts=log_starts)


def _guard(
    facts: TopicFacts, allow_compacted: bool = False
) -> tuple[GuardTopic, TopicProblems, FakeLossMetric, FakeInspector]:
    metric = FakeLossMetric()
    problems = TopicProblems(metric)
    inspector = FakeInspector(facts)
    settings = GuardSettings("orders.events", allow_compacted, min_retention_ms=7 * DAY_MS)
    return GuardTopic(inspector, problems, settings), problems, metric, inspector


async def test_a_healthy_topic_has_no_problem() -> None:
    guard, _, _, _ = _guard(_facts())

    assert await guard.check({0: 10, 1: 0}) == []


@pytest.mark.parametrize("policy", ["compact", "compact,delete", "delete,compact"])
async def test_a_compacted_topic_is_refused_unless_allowed(policy: str) -> None:
    guard, _, _, _ = _guard(_facts(policy))
    allowed, _, _, _ = _guard(_facts(policy), allow_compacted=True)

    problems = await guard.check({})

    assert [p.code for p in refusals(problems)] == [ProblemCode.COMPACTED_TOPIC]
    assert "STREAMVIEW_TOPIC_ALLOW_COMPACTED" in problems[0].message
    assert await allowed.check({}) == []


@pytest.mark.parametrize(
    ("retention_ms", "warned"), [(DAY_MS, True), (7 * DAY_MS, False), (-1, False)]
)
async def test_a_short_retention_is_a_warning(retention_ms: int, warned: bool) -> None:
    guard, _, _, _ = _guard(_facts(retention_ms=retention_ms))

    problems = await guard.check({})

    assert [(p.code, p.severity) for p in problems] == (
        [(ProblemCode.SHORT_RETENTION, Severity.WARNING)] if warned else []
    )
    assert refusals(problems) == []


async def test_a_position_below_the_log_start_is_reported_with_the_count_once() -> None:
    guard, problems, metric, inspector = _guard(_facts(p0=500, p1=0))

    found = await guard.check({0: 120, 1: 0})
    again = await guard.check({0: 120, 1: 0})

    lost = [p for p in found if p.code == ProblemCode.RECORDS_LOST]
    assert [(p.partition, p.records_lost, p.severity) for p in lost] == [(0, 380, Severity.ERROR)]
    assert "380 records" in lost[0].message
    assert again == found
    assert metric.lost == {0: 380}  # counted once, not at every check

    inspector.facts_now = _facts(p0=700, p1=0)  # more deleted before the worker caught up
    await guard.check({0: 120, 1: 0})

    assert metric.lost == {0: 580}
    assert problems.current()[-1].records_lost == 580


async def test_a_loss_seen_by_the_consumer_counts_in_the_same_total() -> None:
    metric = FakeLossMetric()
    problems = TopicProblems(metric)

    assert problems.records_lost("t", 2, position=10, log_start=25) == 15
    assert problems.records_lost("t", 2, position=10, log_start=25) == 0

    assert metric.lost == {2: 15}
    assert [p.records_lost for p in problems.current()] == [15]


async def test_a_change_in_the_partition_count_is_reported() -> None:
    guard, _, _, inspector = _guard(_facts(p0=0, p1=0))
    assert await guard.check({0: 5}) == []

    inspector.facts_now = _facts(p0=0, p1=0, p2=0)
    problems = await guard.check({0: 5})

    assert [p.code for p in problems] == [ProblemCode.PARTITION_COUNT_CHANGED]
    assert "3 partitions, 2 when this worker started" in problems[0].message


async def test_positions_of_partitions_the_topic_no_longer_has_are_a_partition_change() -> None:
    guard, _, _, _ = _guard(_facts(p0=0))

    problems = await guard.check({0: 5, 1: 7, 2: 9})

    assert [p.code for p in problems] == [ProblemCode.PARTITION_COUNT_CHANGED]


async def test_the_lag_report_guard_never_raises_and_keeps_what_it_knew() -> None:
    guard, _, _, inspector = _guard(_facts(retention_ms=DAY_MS))
    known = await guard({})

    inspector.error = TimeoutError()
    assert await guard({}) == known

    inspector.error = PermissionError("Kafka denied DESCRIBE_CONFIGS on topic 'orders.events'")
    denied = await guard({})
    assert [p.code for p in denied] == [ProblemCode.ACCESS_DENIED, ProblemCode.SHORT_RETENTION]


def test_the_state_reads_failed_while_a_denial_is_recent() -> None:
    now = [1000.0]
    problems = TopicProblems(denial_seconds=60, clock=lambda: now[0])
    status = GuardedStatus(problems)
    status.state = ConsumerState.PAUSED

    problems.denied("Kafka denied READ on consumer group 'g'")
    assert status.state == ConsumerState.FAILED
    now[0] += 61  # no denial since: the ACL was granted
    assert status.state == ConsumerState.PAUSED
    assert problems.current() == []

    problems.denied("again")
    status.state = ConsumerState.STOPPED
    assert status.state == ConsumerState.STOPPED


def test_a_denial_ends_when_the_consumer_runs_again() -> None:
    problems = TopicProblems()
    status = GuardedStatus(problems)
    problems.denied("Kafka denied READ on consumer group 'g'")
    assert status.state == ConsumerState.FAILED

    status.state = ConsumerState.RUNNING

    assert status.state == ConsumerState.RUNNING
    assert problems.current() == []


NAMES = Names(topic="orders.events", dlq_topic="orders.events.dlq", group="streamview-orders")


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (
            TopicAuthorizationFailedError("orders.events"),
            "READ (or DESCRIBE_CONFIGS) on topic 'orders.events'",
        ),
        (
            TopicAuthorizationFailedError("orders.events.dlq"),
            "WRITE on the dead-letter topic 'orders.events.dlq'",
        ),
        (TopicAuthorizationFailedError(), "on topic 'orders.events'"),
        (
            GroupAuthorizationFailedError("streamview-orders"),
            "READ on consumer group 'streamview-orders'",
        ),
    ],
)
def test_a_denial_names_the_missing_acl(error: Exception, fragment: str) -> None:
    message = denial(error, NAMES)

    assert message is not None
    assert fragment in message
    assert "README" in message


def test_other_errors_are_no_denial() -> None:
    assert denial(KafkaConnectionError("down"), NAMES) is None
    assert denial(ValueError("x"), NAMES) is None


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    inspector: TopicInspector = FakeInspector(_facts())
    lost: LossMetric = FakeLossMetric()
    del inspector, lost
