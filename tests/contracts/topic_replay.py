"""The contract of the TopicReplay port (opened by an OpenReplay): every adapter passes it
unchanged.

Subclass `TopicReplayContract` (in a `test_*.py` module) and provide a fixture `filled`: an
async factory `filled(partitions, counts)` that makes a topic of that many partitions with
`counts[p]` records on partition p (values b"p:n") and returns an OpenReplay over it.
Subclass `TopicReplayOutageContract` and provide a fixture `unreachable`: an OpenReplay whose
broker cannot be reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from application.errors import Unavailable
from application.rebuild.ports import OpenReplay


async def replayed(
    open_replay: OpenReplay, start: Mapping[int, int], until: Mapping[int, int]
) -> dict[int, list[tuple[int, bytes | None]]]:
    """(offset, value) of every record read, per partition, in the order read."""
    read: dict[int, list[tuple[int, bytes | None]]] = {}
    async with open_replay() as replay:
        async for batch in replay.read(start, until):
            assert batch, "a batch has records"
            for record in batch:
                read.setdefault(record.partition, []).append((record.offset, record.value))
    return read


def values(partition: int, offsets: range) -> list[tuple[int, bytes]]:
    return [(n, f"{partition}:{n}".encode()) for n in offsets]


class TopicReplayContract:
    async def test_bounds_are_the_first_and_end_offsets(self, filled: Any) -> None:
        open_replay = await filled(3, {0: 4, 2: 1})

        async with open_replay() as replay:
            assert await replay.bounds() == ({0: 0, 1: 0, 2: 0}, {0: 4, 1: 0, 2: 1})

    async def test_from_the_start_to_the_ends_every_record_once_in_order(self, filled: Any) -> None:
        open_replay = await filled(2, {0: 12, 1: 5})

        read = await replayed(open_replay, {}, {0: 12, 1: 5})

        assert read == {0: values(0, range(12)), 1: values(1, range(5))}

    async def test_between_offsets_and_nothing_past_until(self, filled: Any) -> None:
        open_replay = await filled(3, {0: 10, 1: 6, 2: 4})

        read = await replayed(open_replay, {0: 3, 2: 4}, {0: 7, 1: 2, 2: 4})

        assert read == {0: values(0, range(3, 7)), 1: values(1, range(2))}

    async def test_nothing_to_read_ends_at_once(self, filled: Any) -> None:
        open_replay = await filled(2, {0: 3})

        assert await replayed(open_replay, {0: 3}, {0: 3, 1: 0}) == {}
        assert await replayed(open_replay, {}, {}) == {}


class TopicReplayOutageContract:
    async def test_opening_is_unavailable(self, unreachable: OpenReplay) -> None:
        with pytest.raises(Unavailable):
            async with unreachable():
                pass
