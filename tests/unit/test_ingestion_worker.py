"""The worker (application.ingestion) against the in-memory adapters: its start checks, what it
waits out and what fails its run, its exit codes and reports, the restarts of `streamview run`,
and that it closes no client of the process (the process's lifetime does, once)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence

import pytest
from loguru import logger

from adapters.kafka.access import KafkaAccess, Names
from adapters.kafka.security import PLAINTEXT
from adapters.kafka.source import KafkaRecordSource
from adapters.memory.consumer_states import MemoryConsumerStates
from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.record_source import MemoryRecordSource
from adapters.memory.topic import MemoryTopic
from adapters.memory.views import MemoryViewStore
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.postgres.pool import make_pool
from adapters.postgres.start_checks import PoolConnections, PostgresSchemaCheck
from adapters.tracing.null_spans import NullSpans
from application.consuming import ConsumeSettings
from application.errors import Unavailable
from application.ingestion.checks import OutageOrDenial, StartChecks
from application.ingestion.reports import WorkerReports, member_id
from application.ingestion.restarts import run_restarting
from application.ingestion.worker import (
    EXIT_FAILED,
    EXIT_SCHEMA,
    EXIT_STOPPED,
    Consuming,
    IngestionWorker,
)
from application.ops import ReportLag
from application.ports import (
    BrokerAccess,
    ConnectionPool,
    ConsumerSource,
    ConsumerState,
    DeadLetterSink,
    SchemaCheck,
    WorkerMetrics,
)
from application.projecting import BatchOutcome, Project, ProjectBatch
from application.topic_guard import GuardedStatus, GuardSettings, GuardTopic, TopicProblems
from domain.records import RawRecord
from entrypoints.wiring.lifetimes import closed_at_exit
from tests.unit.test_consuming import order_events

pytestmark = pytest.mark.unit

GROUP, TOPIC = "group", "orders.events"
NOBODY = "postgresql://nobody@127.0.0.1:1/none"  # refused at once


class Database:
    """Stands for PostgreSQL at the worker's start: away for the first `away_for` schema
    checks, then answering with `schema_problem`."""

    def __init__(self, schema_problem: str | None = None, away_for: int = 0) -> None:
        self.schema_problem, self.away_for = schema_problem, away_for
        self.checks = self.waits = 0

    async def problem(self) -> str | None:
        self.checks += 1
        if self.checks <= self.away_for:
            raise Unavailable("connection refused")
        return self.schema_problem

    async def wait_connection(self, timeout_seconds: float) -> None:
        self.waits += 1


class Broker:
    """Refuses these settings for good with `refusal`; names a PermissionError a denial."""

    def __init__(self, refusal: str | None = None) -> None:
        self.refusal = refusal

    def describe(self) -> str:
        return "memory: PLAINTEXT"

    async def connection_problem(self) -> str | None:
        return self.refusal

    def denial(self, error: BaseException) -> str | None:
        return f"denied: {error}" if isinstance(error, PermissionError) else None


class ClosableDeadLetters(MemoryDeadLetters):
    """A dead-letter sink that, like the Kafka one, is a client of the process to close."""

    def __init__(self) -> None:
        super().__init__()
        self.closes = 0

    async def close(self) -> None:
        self.closes += 1


def _stand_in_for_the_ports() -> None:
    """For mypy: these fakes, and the adapters that serve these ports in production."""
    database, broker = Database(), Broker()
    _: tuple[SchemaCheck, ConnectionPool, BrokerAccess] = (database, database, broker)
    __: tuple[ConsumerSource, WorkerMetrics, DeadLetterSink] = (
        MemoryRecordSource(MemoryTopic(TOPIC)),
        MemoryMetrics(),
        ClosableDeadLetters(),
    )
    ___: tuple[SchemaCheck, ConnectionPool, BrokerAccess, ConsumerSource, WorkerMetrics] = (
        PostgresSchemaCheck(NOBODY),
        PoolConnections(make_pool(NOBODY)),
        KafkaAccess("127.0.0.1:1", PLAINTEXT, Names(TOPIC, f"{TOPIC}.dlq", GROUP)),
        KafkaRecordSource.create("127.0.0.1:1", TOPIC, GROUP, 10),
        PrometheusMetrics(),
    )


def failing_first(project: Project, errors: Sequence[Exception]) -> Project:
    """`project`, its first calls failing with `errors` (one each)."""
    pending = list(errors)

    async def projecting(records: Sequence[RawRecord]) -> BatchOutcome:
        if pending:
            raise pending.pop(0)
        return await project(records)

    return projecting


def denied_until(granted: asyncio.Event, project: Project) -> Project:
    """`project`, denied by the broker until `granted` is set."""

    async def projecting(records: Sequence[RawRecord]) -> BatchOutcome:
        if not granted.is_set():
            raise PermissionError("READ on the group")
        return await project(records)

    return projecting


class Process:
    """What a worker process holds across the starts of its worker: the topic, the views, the
    dead letters, the metrics, the state; a new record source at each start."""

    def __init__(
        self, topic: MemoryTopic, database: Database | None = None, broker: Broker | None = None
    ) -> None:
        self.topic, self.store = topic, MemoryViewStore()
        self.dead_letters, self.metrics = ClosableDeadLetters(), MemoryMetrics()
        self.states, self.problems = MemoryConsumerStates(), TopicProblems()
        self.status = GuardedStatus(self.problems)
        self.database, self.broker = database or Database(), broker or Broker()
        self.settings = ConsumeSettings(
            GROUP, TOPIC, batch_max_records=10, retry_initial_seconds=0.001, retry_max_seconds=0.01
        )
        self.sources: list[MemoryRecordSource] = []
        self.watches: list[str] = []

    def project(self) -> ProjectBatch:
        return ProjectBatch(self.store, self.dead_letters, self.metrics, NullSpans(), GROUP)

    def new_source(self) -> MemoryRecordSource:
        self.sources.append(MemoryRecordSource(self.topic))
        return self.sources[-1]

    async def watch_rebuilds(self, stopping: asyncio.Event) -> None:
        self.watches.append("watching")
        try:
            await stopping.wait()
        finally:  # stopped, or cancelled by the worker's stop
            self.watches.append("ended")

    def worker(self, project: Project | None = None) -> IngestionWorker:
        settings, store, status = self.settings, self.store, self.status
        return IngestionWorker(
            Consuming(settings, self.new_source, project or self.project(), store, status),
            StartChecks(
                schema=self.database,
                pool=self.database,
                broker=self.broker,
                store=store,
                guard=GuardTopic(self.topic, self.problems, GuardSettings(TOPIC)),
                problems=self.problems,
                settings=settings,
            ),
            WorkerReports(
                report_lag=ReportLag(store, self.topic, status, GROUP, TOPIC),
                metrics=self.metrics,
                states=self.states,
                status=status,
                store=store,
                settings=settings,
                every_seconds=0.01,
            ),
            self.watch_rebuilds,
            OutageOrDenial(lambda e: isinstance(e, Unavailable), self.broker, self.problems),
        )

    async def reported(self) -> ConsumerState | None:
        members = await self.states.members(GROUP, TOPIC)
        return next((m.state for m in members if m.member == member_id()), None)

    async def reported_running(self) -> bool:
        return await self.reported() == ConsumerState.RUNNING

    async def caught_up(self) -> bool:
        ends = await self.topic.end_offsets(TOPIC)
        return await self.store.positions(GROUP, TOPIC) == ends


def topic_of(orders: int, poison: int = 0) -> MemoryTopic:
    topic = MemoryTopic(TOPIC, partitions=2)
    for n in range(orders):
        for key, value, headers in order_events(f"o{n}"):
            topic.append(key, value, headers)
    for n in range(poison):
        topic.append(f"p{n}".encode(), b"not json", (("x-sequence", b"1"),))
    return topic


async def eventually(condition: Callable[[], Awaitable[bool] | bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while True:
            result = condition()
            if await result if isinstance(result, Awaitable) else result:
                return
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running(
    worker: IngestionWorker,
) -> AsyncIterator[tuple[asyncio.Event, asyncio.Task[int]]]:
    stopping = asyncio.Event()
    task = asyncio.create_task(worker.run(stopping))
    try:
        yield stopping, task
    finally:
        stopping.set()
        await asyncio.wait_for(asyncio.shield(task), 10)


@contextlib.contextmanager
def restart_pauses() -> Iterator[list[float]]:
    """The pauses `run_restarting` announces before each new start, in seconds."""
    pauses: list[float] = []
    sink = logger.add(
        lambda message: pauses.append(message.record["extra"]["restartInSeconds"]),
        filter=lambda record: "restartInSeconds" in record["extra"],
    )
    try:
        yield pauses
    finally:
        logger.remove(sink)


# --- one run ------------------------------------------------------------------------------


async def test_a_run_consumes_reports_and_stops_on_request() -> None:
    process = Process(topic_of(5))

    async with running(process.worker()) as (stopping, task):
        await eventually(process.caught_up)
        await eventually(lambda: process.metrics.lags.get(TOPIC) == {0: 0, 1: 0})
        await eventually(process.reported_running)
        followed = process.metrics.state
        stopping.set()
        code = await task

    assert code == EXIT_STOPPED
    assert followed == ConsumerState.RUNNING
    assert await process.reported() == ConsumerState.STOPPED  # for API-only processes
    assert process.watches == ["watching", "ended"]  # the rebuild watcher, beside the loop
    assert [(s.started, s.stopped) for s in process.sources] == [(True, True)]


async def test_a_schema_this_build_does_not_know_ends_the_run_before_anything_starts() -> None:
    process = Process(topic_of(1), database=Database("run `streamview migrate`"))

    code = await process.worker().run(asyncio.Event())

    assert code == EXIT_SCHEMA
    assert process.sources == [] and process.database.waits == 0


async def test_a_database_away_at_the_start_is_waited_for() -> None:
    process = Process(topic_of(3), database=Database(away_for=2))

    async with running(process.worker()):
        await eventually(process.caught_up)

    assert process.database.checks == 3 and process.database.waits == 1


async def test_postgres_away_is_an_outage_to_the_schema_check_not_a_schema_problem() -> None:
    with pytest.raises(Unavailable, match="Connection refused"):
        await PostgresSchemaCheck(NOBODY).problem()


async def test_a_broker_that_will_never_accept_these_settings_fails_the_start() -> None:
    process = Process(topic_of(1), broker=Broker("the broker's certificate is not trusted"))

    code = await process.worker().run(asyncio.Event())

    assert code == EXIT_FAILED
    assert process.status.state == ConsumerState.FAILED
    assert await process.reported() == ConsumerState.FAILED
    assert process.sources == []  # no consumer was made


async def test_a_broker_away_at_the_start_is_waited_out() -> None:
    process = Process(topic_of(3))
    process.topic.reachable = False

    async with running(process.worker()):
        await eventually(lambda: len(process.sources) >= 2)
        process.topic.reachable = True
        await eventually(process.caught_up)

    assert [s.stopped for s in process.sources] == [True] * len(process.sources)
    assert [s.started for s in process.sources[:-1]] == [False] * (len(process.sources) - 1)


async def test_an_outage_while_consuming_is_waited_out() -> None:
    process = Process(topic_of(4))
    flaky = failing_first(process.project(), [Unavailable("the database is away")] * 3)

    async with running(process.worker(flaky)) as (_, task):
        await eventually(process.caught_up)
        still_running = not task.done()

    assert still_running and task.result() == EXIT_STOPPED


async def test_an_error_that_waiting_cannot_cure_fails_the_run() -> None:
    process = Process(topic_of(2))
    broken = failing_first(process.project(), [RuntimeError("a constraint the views break")])

    code = await asyncio.wait_for(process.worker(broken).run(asyncio.Event()), 10)

    assert code == EXIT_FAILED
    assert process.status.state == ConsumerState.FAILED
    assert await process.reported() == ConsumerState.FAILED
    assert [s.stopped for s in process.sources] == [True]  # it left the group


async def test_a_denied_permission_is_named_and_waited_for_until_granted() -> None:
    process = Process(topic_of(3))
    granted = asyncio.Event()

    async with running(process.worker(denied_until(granted, process.project()))) as (_, task):
        await eventually(lambda: bool(process.problems.current()))
        named = [p.message for p in process.problems.current()]
        state_while_denied = process.status.state
        granted.set()
        await eventually(process.caught_up)
        await eventually(lambda: process.status.state == ConsumerState.RUNNING)
        still_running = not task.done()

    assert named == ["denied: READ on the group"]
    assert state_while_denied == ConsumerState.FAILED  # in /lags, while it keeps retrying
    assert still_running and process.problems.current() == []


# --- restarts, and the clients of the process -----------------------------------------------


async def test_a_failed_worker_starts_again_after_a_pause_that_doubles_up_to_the_limit() -> None:
    outcomes = iter([EXIT_FAILED, EXIT_FAILED, EXIT_FAILED, EXIT_FAILED, EXIT_STOPPED])

    async def run_once(stopping: asyncio.Event) -> int:
        return next(outcomes)

    with restart_pauses() as pauses:
        code = await run_restarting(
            run_once, GuardedStatus(TopicProblems()), asyncio.Event(), 0.01, 0.04
        )

    assert code == EXIT_STOPPED
    assert pauses == [0.01, 0.02, 0.04, 0.04]


async def test_the_pause_starts_over_after_a_run_that_lasted_the_longest_pause() -> None:
    lasting = iter([0.0, 0.0, 0.05, 0.0])

    async def run_once(stopping: asyncio.Event) -> int:
        seconds = next(lasting, None)
        if seconds is None:
            return EXIT_STOPPED
        await asyncio.sleep(seconds)
        return EXIT_FAILED

    with restart_pauses() as pauses:
        await run_restarting(run_once, GuardedStatus(TopicProblems()), asyncio.Event(), 0.01, 0.04)

    assert pauses == [0.01, 0.02, 0.01, 0.02]


async def test_a_schema_this_build_does_not_know_is_not_restarted() -> None:
    process = Process(topic_of(1), database=Database("run `streamview migrate`"))

    with restart_pauses() as pauses:
        code = await run_restarting(
            lambda stopping: process.worker().run(stopping), process.status, asyncio.Event()
        )

    assert (code, pauses) == (EXIT_SCHEMA, [])


async def test_a_restarted_worker_uses_the_process_clients_which_the_lifetime_closes_once() -> None:
    process = Process(topic_of(3, poison=2))
    starts: list[IngestionWorker] = []
    stopping = asyncio.Event()

    async def run_once(stopping: asyncio.Event) -> int:
        # The first worker fails at its first batch; the next one dead-letters the poison.
        errors = [] if starts else [RuntimeError("a lasting error")]
        starts.append(process.worker(failing_first(process.project(), errors)))
        return await starts[-1].run(stopping)

    # The process's lifetime (entrypoints.wiring.lifetimes) around every start of its worker.
    async with contextlib.asynccontextmanager(closed_at_exit)(process.dead_letters):
        restarting = asyncio.create_task(
            run_restarting(run_once, process.status, stopping, 0.01, 0.04)
        )
        await eventually(process.caught_up)
        closes_while_running = process.dead_letters.closes
        stopping.set()
        code = await restarting
        closes_before_exit = process.dead_letters.closes

    assert code == EXIT_STOPPED
    assert len(starts) == 2 and len(process.dead_letters.sent) == 2
    assert closes_while_running == closes_before_exit == 0
    assert process.dead_letters.closes == 1
