"""Redrive decisions: what goes back, what is refused, and that a claimed letter goes once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import pytest

from adapters.memory.dead_letter_ops import (
    MemoryDeadLetterReader,
    MemoryRedriveLedger,
    MemoryRedriveSender,
)
from adapters.memory.topic import MemoryTopic
from application.dead_letter_ops import Outcome, RedriveDeadLetters, RedriveRequest
from application.errors import InvalidParameter, Unavailable
from application.ports import DeadLetter, LetterId

pytestmark = pytest.mark.unit
TOPIC = "orders.events"


def letter(offset: int, reason: str = "unsupported_version", **changes: object) -> DeadLetter:
    values: dict[str, object] = {
        "partition": 0, "offset": offset, "timestamp": datetime(2026, 12, 1, tzinfo=UTC),
        "reason": reason, "detail": "", "source_topic": TOPIC, "source_partition": 0,
        "source_offset": 100 + offset, "key": b"o-1", "value": b"{}",
        "headers": (("x-sequence", b"1"),),
    }  # fmt: skip
    return DeadLetter(**{**values, **changes})  # type: ignore[arg-type]


class World(NamedTuple):
    redrive: RedriveDeadLetters
    topic: MemoryTopic
    sender: MemoryRedriveSender
    ledger: MemoryRedriveLedger

    def sent(self) -> list[tuple[tuple[str, bytes], ...]]:
        """The headers of each record redriven to the source topic, in order."""
        return [record.headers for record in self.topic.read(0, 0, 100)]


def redrive(letters: list[DeadLetter], max_redrives: int = 3) -> World:
    topic = MemoryTopic(TOPIC)
    sender, ledger = MemoryRedriveSender(topic), MemoryRedriveLedger()
    use_case = RedriveDeadLetters(
        MemoryDeadLetterReader(letters), ledger, sender, TOPIC, max_redrives
    )
    return World(use_case, topic, sender, ledger)


async def test_a_letter_goes_back_once_with_its_count_raised() -> None:
    counted = letter(1, headers=(("x-redrive-count", b"1"),))
    world = redrive([letter(0), counted])
    first = await world.redrive(RedriveRequest(reason="unsupported_version"), "alice")
    again = await world.redrive(RedriveRequest(ids=(LetterId(0, 0), LetterId(0, 1))), "bob")
    assert [r.outcome for r in first.results] == [Outcome.REDRIVEN, Outcome.REDRIVEN]
    assert [r.outcome for r in again.results] == [Outcome.ALREADY_REDRIVEN] * 2
    assert world.sent() == [
        (("x-sequence", b"1"), ("x-redrive-count", b"1")),
        (("x-redrive-count", b"2"),),
    ]
    assert world.ledger.claims == {LetterId(0, 0): ("alice", 1), LetterId(0, 1): ("alice", 2)}


async def test_a_broker_away_redrives_nothing_and_a_later_request_does() -> None:
    world = redrive([letter(0)])
    world.sender.reachable = False
    with pytest.raises(Unavailable):
        await world.redrive(RedriveRequest(ids=(LetterId(0, 0),)), "alice")
    assert (world.sent(), world.ledger.claims) == ([], {})

    world.sender.reachable = True
    report = await world.redrive(RedriveRequest(ids=(LetterId(0, 0),)), "alice")

    assert [r.outcome for r in report.results] == [Outcome.REDRIVEN]
    assert world.sent() == [(("x-sequence", b"1"), ("x-redrive-count", b"1"))]


@pytest.mark.parametrize(
    ("bad", "outcome"),
    [
        (letter(0, headers=(("x-redrive-count", b"3"),)), Outcome.LIMIT_REACHED),
        (letter(0, source_topic="elsewhere"), Outcome.NOT_REDRIVABLE),
        (letter(0, source_topic=None), Outcome.NOT_REDRIVABLE),
        (letter(0, value=None, dropped=("value",)), Outcome.NOT_REDRIVABLE),
    ],
)
async def test_letters_that_cannot_go_back_are_refused(bad: DeadLetter, outcome: Outcome) -> None:
    world = redrive([bad])
    report = await world.redrive(RedriveRequest(ids=(bad.id,)), "alice")
    assert [r.outcome for r in report.results] == [outcome]
    assert (world.sent(), world.ledger.claims) == ([], {})


async def test_an_unknown_letter_is_not_found() -> None:
    report = await redrive([]).redrive(RedriveRequest(ids=(LetterId(3, 9),)), "alice")
    assert [(r.partition, r.offset, r.outcome) for r in report.results] == [
        (3, 9, Outcome.NOT_FOUND)
    ]


@pytest.mark.parametrize(
    "request_",
    [
        RedriveRequest(),
        RedriveRequest(ids=(LetterId(0, 0),), reason="invalid_json"),
        RedriveRequest(reason="not_a_reason"),
        RedriveRequest(ids=tuple(LetterId(0, n) for n in range(1001))),
    ],
)
async def test_requests_that_say_nothing_clear_are_invalid(request_: RedriveRequest) -> None:
    with pytest.raises(InvalidParameter):
        await redrive([]).redrive(request_, "alice")


@pytest.mark.parametrize(("header", "count"), [(b"2", 2), (b"x", 0), (b"-1", 0), (b"9" * 20, 0)])
def test_the_redrive_count_header_is_read_leniently(header: bytes, count: int) -> None:
    assert letter(0, headers=(("x-redrive-count", header),)).redrive_count == count
