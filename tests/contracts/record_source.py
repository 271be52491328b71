"""The contract of the RecordSource port: every adapter passes it unchanged.

Subclass `RecordSourceContract` (in a `test_*.py` module) and provide a fixture `source_over`:
an async factory `source_over(partitions, counts)` that makes a topic of that many partitions
with `counts[p]` records on partition p (values b"p:n") and returns a started source for it,
the only member of its group; the fixture stops it afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Set
from typing import Any

from domain.records import RawRecord

BACKSTOP_SECONDS = 60  # not a speed target: a broken adapter fails instead of hanging


class Listener:
    """Implements PartitionListener: remembers what it was given."""

    def __init__(self) -> None:
        self.assigned: set[int] = set()

    async def partitions_revoked(self, partitions: Set[int]) -> None:
        self.assigned -= partitions

    async def partitions_assigned(self, partitions: Set[int]) -> None:
        self.assigned |= partitions


async def joined(source: Any, partitions: int) -> Listener:
    """Subscribed, and given every partition (fetching drives the group protocol). What it
    fetched meanwhile is dropped: the tests seek before they read."""
    listener = Listener()
    source.subscribe(listener)
    deadline = time.monotonic() + BACKSTOP_SECONDS
    while listener.assigned != set(range(partitions)):
        assert time.monotonic() < deadline, f"assigned {listener.assigned} only"
        await source.fetch(100, 100)
    return listener


async def fetched(source: Any, count: int) -> list[RawRecord]:
    records: list[RawRecord] = []
    deadline = time.monotonic() + BACKSTOP_SECONDS
    while len(records) < count:
        assert time.monotonic() < deadline, f"fetched {len(records)} of {count}"
        records.extend(await source.fetch(100, 100))
    return records


def values(records: list[RawRecord], partition: int) -> list[bytes | None]:
    return [r.value for r in records if r.partition == partition]


class RecordSourceContract:
    async def test_the_only_member_is_given_every_partition(self, source_over: Any) -> None:
        source = await source_over(3, {})

        listener = await joined(source, 3)

        assert listener.assigned == {0, 1, 2}

    async def test_records_come_in_offset_order_from_where_each_partition_was_sought(
        self, source_over: Any
    ) -> None:
        source = await source_over(2, {0: 3, 1: 4})
        await joined(source, 2)

        await source.seek({0: None, 1: 2})  # None: the earliest record still in the log
        records = await fetched(source, 5)

        assert values(records, 0) == [b"0:0", b"0:1", b"0:2"]
        assert values(records, 1) == [b"1:2", b"1:3"]
        assert [r.offset for r in records if r.partition == 1] == [2, 3]

    async def test_a_paused_partition_gives_nothing_until_resumed(self, source_over: Any) -> None:
        source = await source_over(2, {0: 2, 1: 2})
        await joined(source, 2)
        await source.seek({0: 0, 1: 0})

        source.pause([1])
        first = await fetched(source, 2)
        await asyncio.sleep(0.2)  # room for a paused partition's records to (wrongly) arrive
        more = await source.fetch(100, 100)
        source.resume([1])
        rest = await fetched(source, 2)

        assert {r.partition for r in [*first, *more]} == {0}
        assert values(rest, 1) == [b"1:0", b"1:1"]

    async def test_seeking_back_reads_again(self, source_over: Any) -> None:
        source = await source_over(1, {0: 3})
        await joined(source, 1)
        await source.seek({0: 0})
        await fetched(source, 3)

        await source.seek({0: 1})

        assert values(await fetched(source, 2), 0) == [b"0:1", b"0:2"]
