"""The contracts of the DeadLetterReader, RedriveSender and RedriveLedger ports: every adapter
passes them unchanged.

Subclass (in a `test_*.py` module) and provide:
- `DeadLetterReaderContract`: a fixture `dlq`, an async factory `dlq(letters, partitions)` that
  writes the letters (each partition's offsets 0, 1, ... in the order given) onto a DLQ topic
  of that many partitions and returns a reader of it;
- `RedriveSenderContract`: a fixture `sending`, an async factory `sending(partitions)` that
  returns `(sender, source topic name, read_back)`, where `await read_back()` lists the
  topic's records as `Sent`, partition by partition in offset order;
- `RedriveLedgerContract`: an async fixture `ledger` that yields an empty ledger;
- the `...OutageContract`s: a fixture `unreachable`, the adapter with its server away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from msgspec.structs import replace

from application.errors import Unavailable
from application.ports import DeadLetter, LetterId, LetterPage, LetterQuery

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SOURCE = "orders.events"


def letter(
    partition: int, offset: int, reason: str = "invalid_json", minute: int = 0, **changes: Any
) -> DeadLetter:
    values: dict[str, Any] = {
        "partition": partition, "offset": offset, "timestamp": T0 + timedelta(minutes=minute),
        "reason": reason, "detail": f"why {partition}:{offset}", "source_topic": SOURCE,
        "source_partition": partition, "source_offset": 100 + offset,
        "key": f"o-{partition}-{offset}".encode(), "value": b'{"v": 1}',
        "headers": (("x-sequence", b"1"), ("x-event-version", b"1")),
    }  # fmt: skip
    return DeadLetter(**{**values, **changes})


Dlq = Callable[[Sequence[DeadLetter], int], Awaitable[Any]]


class DeadLetterReaderContract:
    async def test_an_empty_topic_has_no_letters(self, dlq: Dlq) -> None:
        reader = await dlq([], 2)

        assert await reader.page(LetterQuery(), 100) == LetterPage([], None)
        assert await reader.get(LetterId(0, 0)) is None

    async def test_letters_come_whole_in_partition_and_offset_order(self, dlq: Dlq) -> None:
        odd = [
            letter(1, 0, "unknown_type", key=None, source_topic=None, source_partition=None),
            letter(0, 0, source_offset=None, headers=()),
            letter(1, 1, value=None, dropped=("value",), headers=(("x-redrive-count", b"2"),)),
            letter(0, 1, detail="", headers=(("x-b", b"2"), ("x-a", b"1"), ("x-b", b"3"))),
        ]
        reader = await dlq(odd, 2)

        page = await reader.page(LetterQuery(), 100)

        assert page == LetterPage([odd[1], odd[3], odd[0], odd[2]], None)
        assert page.letters[3].redrive_count == 2

    async def test_get_finds_one_letter_and_nothing_beside_it(self, dlq: Dlq) -> None:
        written = [letter(0, 0), letter(0, 1, "unknown_type"), letter(1, 0)]
        reader = await dlq(written, 2)

        assert [await reader.get(x.id) for x in written] == written
        for nowhere in (LetterId(0, 2), LetterId(1, 1), LetterId(2, 0), LetterId(0, 2**62)):
            assert await reader.get(nowhere) is None

    async def test_reasons_and_times_filter(self, dlq: Dlq) -> None:
        written = [
            letter(0, 0, "invalid_json", 0),
            letter(0, 1, "unknown_type", 1),
            letter(0, 2, "invalid_json", 2),
            letter(1, 0, "schema_violation", 1),
            letter(1, 1, "invalid_json", 3),
        ]
        reader = await dlq(written, 2)

        async def offsets(**query: Any) -> list[tuple[int, int]]:
            page = await reader.page(LetterQuery(**query), 100)
            assert page.next is None
            return [(x.partition, x.offset) for x in page.letters]

        assert await offsets(reasons=frozenset({"invalid_json"})) == [(0, 0), (0, 2), (1, 1)]
        assert await offsets(reasons=frozenset({"unknown_type", "schema_violation"})) == [
            (0, 1),
            (1, 0),
        ]
        assert await offsets(since=T0 + timedelta(minutes=1)) == [(0, 1), (0, 2), (1, 0), (1, 1)]
        assert await offsets(until=T0 + timedelta(minutes=1)) == [(0, 0)]
        assert await offsets(since=T0 + timedelta(days=1)) == []
        assert await offsets(
            reasons=frozenset({"invalid_json"}),
            since=T0 + timedelta(minutes=1),
            until=T0 + timedelta(minutes=3),
        ) == [(0, 2)]

    async def test_a_page_stops_at_its_limit_and_next_continues_it(self, dlq: Dlq) -> None:
        written = [letter(0, 0), letter(0, 1), letter(0, 2), letter(1, 0), letter(1, 1)]
        reader = await dlq(written, 2)

        first = await reader.page(LetterQuery(limit=2), 100)
        second = await reader.page(LetterQuery(start=first.next, limit=2), 100)
        third = await reader.page(LetterQuery(start=second.next, limit=2), 100)

        assert (first.letters, first.next) == (written[:2], {0: 2, 1: 0})
        assert (second.letters, second.next) == (written[2:4], {0: 3, 1: 1})
        assert (third.letters, third.next) == (written[4:], None)

    async def test_max_scan_bounds_the_records_looked_at(self, dlq: Dlq) -> None:
        written = [*(letter(0, n) for n in range(3)), letter(0, 3, "unknown_type"), letter(1, 0)]
        reader = await dlq(written, 2)
        wanted = frozenset({"unknown_type"})

        first = await reader.page(LetterQuery(reasons=wanted), 2)
        second = await reader.page(LetterQuery(reasons=wanted, start=first.next), 2)
        third = await reader.page(LetterQuery(reasons=wanted, start=second.next), 2)

        assert (first.letters, first.next) == ([], {0: 2, 1: 0})
        assert (second.letters, second.next) == ([written[3]], {0: 4, 1: 0})
        assert (third.letters, third.next) == ([], None)

    async def test_a_start_out_of_the_log_is_held_to_it(self, dlq: Dlq) -> None:
        written = [letter(0, 0), letter(0, 1), letter(1, 0)]
        reader = await dlq(written, 2)

        past = await reader.page(LetterQuery(start={0: 99, 1: 0, 7: 3}), 100)
        again = await reader.page(LetterQuery(start={0: 1}), 100)

        assert past == LetterPage([written[2]], None)
        assert again == LetterPage(written[1:], None)


class DeadLetterReaderOutageContract:
    async def test_a_page_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.page(LetterQuery(), 100)

    async def test_get_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.get(LetterId(0, 0))


class Sent(NamedTuple):
    partition: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


Sending = Callable[[int], Awaitable[tuple[Any, str, Callable[[], Awaitable[list[Sent]]]]]]


class RedriveSenderContract:
    async def test_nothing_to_send_sends_nothing(self, sending: Sending) -> None:
        sender, _, read_back = await sending(1)

        await sender.send([])

        assert await read_back() == []

    async def test_each_goes_to_its_source_partition_with_its_redrive_count(
        self, sending: Sending
    ) -> None:
        sender, topic, read_back = await sending(2)
        counted = (("x-redrive-count", b"1"), ("x-sequence", b"4"))
        first = letter(1, 0, source_topic=topic, source_partition=1, headers=counted)
        second = letter(0, 1, source_topic=topic, source_partition=0, key=None)

        await sender.send([(first, 2), (second, 1)])
        await sender.send([(replace(second, value=b"again"), 3)])

        headers = (("x-sequence", b"1"), ("x-event-version", b"1"))
        assert await read_back() == [
            Sent(0, None, b'{"v": 1}', (*headers, ("x-redrive-count", b"1"))),
            Sent(0, None, b"again", (*headers, ("x-redrive-count", b"3"))),
            Sent(1, b"o-1-0", b'{"v": 1}', (("x-sequence", b"4"), ("x-redrive-count", b"2"))),
        ]

    async def test_a_source_partition_the_topic_lacks_gives_way_to_the_key(
        self, sending: Sending
    ) -> None:
        sender, topic, read_back = await sending(1)
        gone = letter(0, 0, source_topic=topic, source_partition=5, headers=())

        await sender.send([(gone, 1)])

        assert await read_back() == [Sent(0, b"o-0-0", b'{"v": 1}', (("x-redrive-count", b"1"),))]


class RedriveSenderOutageContract:
    async def test_sending_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.send([(letter(0, 0), 1)])


class SendFailed(Exception):
    pass


class Sends:
    """A `send` for the ledger that records what it was given; it can fail, or take a while
    so that a concurrent claim comes in meanwhile (`entered` is set once it was called)."""

    def __init__(self, fail: bool = False, pause: float = 0.0) -> None:
        self.calls: list[list[LetterId]] = []
        self.entered = asyncio.Event()
        self._fail = fail
        self._pause = pause

    async def __call__(self, letters: Sequence[DeadLetter]) -> None:
        self.calls.append([x.id for x in letters])
        self.entered.set()
        await asyncio.sleep(self._pause)
        if self._fail:
            raise SendFailed("the broker refused")


class RedriveLedgerContract:
    async def test_each_letter_is_claimed_and_sent_once(self, ledger: Any) -> None:
        a, b, c = letter(0, 0), letter(0, 1), letter(1, 0)
        sends = Sends()

        first = await ledger.claim([a, b], "alice", sends)
        second = await ledger.claim([b, c, a], "bob", sends)
        third = await ledger.claim([c], "carol", sends)

        assert (first, second, third) == ({a.id, b.id}, {c.id}, set())
        assert sends.calls == [[a.id, b.id], [c.id]]

    async def test_a_letter_given_twice_is_sent_once(self, ledger: Any) -> None:
        a = letter(0, 0)
        sends = Sends()

        assert await ledger.claim([a, a], "alice", sends) == {a.id}
        assert sends.calls == [[a.id]]

    async def test_a_failing_send_claims_nothing(self, ledger: Any) -> None:
        a, b = letter(0, 0), letter(0, 1)

        with pytest.raises(SendFailed):
            await ledger.claim([a, b], "alice", Sends(fail=True))
        sends = Sends()
        claimed = await ledger.claim([a, b], "alice", sends)

        assert claimed == {a.id, b.id}
        assert sends.calls == [[a.id, b.id]]

    async def test_of_two_concurrent_claims_one_takes_the_letter(self, ledger: Any) -> None:
        a = letter(0, 0)
        sends = Sends(pause=0.2)

        claims = await asyncio.gather(
            ledger.claim([a], "alice", sends), ledger.claim([a], "bob", sends)
        )

        assert sorted(claims, key=len) == [set(), {a.id}]
        assert sends.calls == [[a.id]]

    async def test_a_claim_waiting_on_a_failing_one_takes_the_letter(self, ledger: Any) -> None:
        a = letter(0, 0)
        failing, sends = Sends(fail=True, pause=0.2), Sends()

        async def once_the_first_holds_it() -> set[LetterId]:
            await failing.entered.wait()
            return set(await ledger.claim([a], "bob", sends))

        first, second = await asyncio.gather(
            ledger.claim([a], "alice", failing), once_the_first_holds_it(), return_exceptions=True
        )

        assert isinstance(first, SendFailed)
        assert second == {a.id}
        assert sends.calls == [[a.id]]


class RedriveLedgerOutageContract:
    async def test_a_claim_is_unavailable_and_sends_nothing(self, unreachable: Any) -> None:
        sends = Sends()

        with pytest.raises(Unavailable):
            await unreachable.claim([letter(0, 0)], "alice", sends)

        assert sends.calls == []
