"""Redrive decisions: what goes back, what is refused, and that a claimed letter goes once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest

from application.dead_letter_ops import Outcome, RedriveDeadLetters, RedriveRequest
from application.errors import InvalidParameter
from application.ports import (
    DeadLetter,
    DeadLetterReader,
    LetterId,
    LetterPage,
    LetterQuery,
    RedriveLedger,
    RedriveSender,
)

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


class Reader:
    def __init__(self, letters: list[DeadLetter]) -> None:
        self.letters = {x.id: x for x in letters}

    async def page(self, query: LetterQuery, max_scan: int) -> LetterPage:
        found = [x for x in self.letters.values() if x.reason in query.reasons]
        return LetterPage(found[: query.limit], None)

    async def get(self, letter_id: LetterId) -> DeadLetter | None:
        return self.letters.get(letter_id)


class Ledger:
    def __init__(self) -> None:
        self.claimed: dict[LetterId, str] = {}

    async def claim(
        self,
        letters: Sequence[DeadLetter],
        requested_by: str,
        send: Callable[[Sequence[DeadLetter]], Awaitable[None]],
    ) -> set[LetterId]:
        fresh = [x for x in letters if x.id not in self.claimed]
        if fresh:
            await send(fresh)
        self.claimed.update({x.id: requested_by for x in fresh})
        return {x.id for x in fresh}


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[int, int]] = []

    async def send(self, letters: Sequence[tuple[DeadLetter, int]]) -> None:
        self.sent += [(x.offset, count) for x, count in letters]


def redrive(letters: list[DeadLetter], max_redrives: int = 3) -> tuple[RedriveDeadLetters, Sender]:
    sender = Sender()
    return RedriveDeadLetters(Reader(letters), Ledger(), sender, TOPIC, max_redrives), sender


async def test_a_letter_goes_back_once_with_its_count_raised() -> None:
    counted = letter(1, headers=(("x-redrive-count", b"1"),))
    use_case, sender = redrive([letter(0), counted])
    first = await use_case(RedriveRequest(reason="unsupported_version"), "alice")
    again = await use_case(RedriveRequest(ids=(LetterId(0, 0), LetterId(0, 1))), "bob")
    assert [r.outcome for r in first.results] == [Outcome.REDRIVEN, Outcome.REDRIVEN]
    assert [r.outcome for r in again.results] == [Outcome.ALREADY_REDRIVEN] * 2
    assert sender.sent == [(0, 1), (1, 2)]


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
    use_case, sender = redrive([bad])
    report = await use_case(RedriveRequest(ids=(bad.id,)), "alice")
    assert [r.outcome for r in report.results] == [outcome]
    assert sender.sent == []


async def test_an_unknown_letter_is_not_found() -> None:
    use_case, _ = redrive([])
    report = await use_case(RedriveRequest(ids=(LetterId(3, 9),)), "alice")
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
    use_case, _ = redrive([])
    with pytest.raises(InvalidParameter):
        await use_case(request_, "alice")


@pytest.mark.parametrize(("header", "count"), [(b"2", 2), (b"x", 0), (b"-1", 0), (b"9" * 20, 0)])
def test_the_redrive_count_header_is_read_leniently(header: bytes, count: int) -> None:
    assert letter(0, headers=(("x-redrive-count", header),)).redrive_count == count


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    reader: DeadLetterReader = Reader([])
    ledger: RedriveLedger = Ledger()
    sender: RedriveSender = Sender()
    del reader, ledger, sender
