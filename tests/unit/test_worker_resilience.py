"""What keeps the worker going: a DLQ that refuses a letter, and `streamview run` restarting a
failed worker while readiness says so. (Against the real broker and a real `streamview run`:
tests/integration/test_dead_letters_that_fit.py and test_run_keeps_serving.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, UnknownError

import adapters.kafka.dead_letters as dead_letters_module
from adapters.kafka.dead_letters import KafkaDeadLetters
from application.consuming import RebuildAwareStatus
from application.ingestion.restarts import run_restarting
from application.ingestion.worker import EXIT_FAILED, EXIT_STOPPED
from application.ops import ConsumerProbe
from application.ports import ConsumerState
from domain.records import DlqReason, RawRecord, Rejected

pytestmark = pytest.mark.unit


def letter(offset: int) -> Rejected:
    record = RawRecord("orders.events", 0, offset, b"k", b"v", ())
    return Rejected(record, DlqReason.INVALID_JSON, "broken")


class FakeProducer:
    """Refuses the letters of the offsets in `refuse` with `error`, acknowledges the rest."""

    def __init__(self, refuse: set[int], error: Exception, sent: list[int]) -> None:
        self._refuse, self._error, self._sent = refuse, error, sent
        self.stopped = False

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, key: Any, value: Any, headers: list[Any]) -> Any:
        offset = int(dict(headers)["x-dlq-source-offset"])
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if offset in self._refuse:
            future.set_exception(self._error)
        else:
            self._sent.append(offset)
            future.set_result(None)
        return future


def with_producers(
    monkeypatch: pytest.MonkeyPatch, refuse: set[int], error: Exception
) -> tuple[list[FakeProducer], list[int]]:
    made: list[FakeProducer] = []
    sent: list[int] = []

    def make(bootstrap: str, **_: object) -> FakeProducer:
        made.append(FakeProducer(refuse, error, sent))
        return made[-1]

    monkeypatch.setattr(dead_letters_module, "make_producer", make)
    return made, sent


async def test_a_letter_refused_for_good_is_counted_and_the_others_still_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made, sent = with_producers(monkeypatch, {2}, UnknownError())
    lost: list[int] = []
    sink = KafkaDeadLetters("broker:9092", "dlq", lambda: lost.append(1))

    await sink.publish([letter(1), letter(2), letter(3)])

    assert sorted(sent) == [1, 3]
    assert lost == [1]
    # A refused batch leaves an idempotent producer's sequence numbers ahead of the broker's:
    # every retry goes through a new producer.
    assert made[0].stopped and len(made) > 1


async def test_a_broker_outage_is_raised_for_the_worker_to_wait_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_producers(monkeypatch, {1}, KafkaConnectionError())
    lost: list[int] = []
    sink = KafkaDeadLetters("broker:9092", "dlq", lambda: lost.append(1))

    with pytest.raises(KafkaConnectionError):
        await sink.publish([letter(1)])
    assert lost == []


async def test_run_restarts_a_failed_worker_and_readiness_says_so_meanwhile() -> None:
    status = RebuildAwareStatus()
    probe = ConsumerProbe(status)
    seen: list[tuple[ConsumerState, str | None]] = []
    runs: Iterator[Exception | int] = iter([RuntimeError("boom"), EXIT_FAILED, EXIT_STOPPED])

    async def run_once(stopping: asyncio.Event) -> int:
        seen.append((status.state, await probe.problem()))
        outcome = next(runs)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    code = await run_restarting(run_once, status, asyncio.Event(), first_delay=0.01, max_delay=0.02)

    assert code == EXIT_STOPPED
    assert [state for state, _ in seen] == [
        ConsumerState.STARTING,
        ConsumerState.FAILED,
        ConsumerState.FAILED,
    ]
    assert seen[0][1] is None and seen[1][1] is not None  # not ready while it has failed


async def test_run_stops_restarting_once_asked_to_stop() -> None:
    stopping = asyncio.Event()
    calls: list[int] = []

    async def failing(stopping_: asyncio.Event) -> int:
        calls.append(1)
        stopping.set()  # SIGTERM arrives while the worker fails
        return EXIT_FAILED

    code = await run_restarting(failing, RebuildAwareStatus(), stopping)

    assert (code, calls) == (EXIT_FAILED, [1])
