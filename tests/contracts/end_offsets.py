"""The contract of the EndOffsets port: every adapter passes it unchanged.

Subclass `EndOffsetsContract` (in a `test_*.py` module) and provide a fixture `filled`: an
async factory `filled(partitions, counts)` that makes a topic of that many partitions, puts
`counts[p]` records on partition p, and returns `(adapter, topic name)`.
"""

from __future__ import annotations

from typing import Any


class EndOffsetsContract:
    async def test_an_empty_topic_ends_at_zero_on_every_partition(self, filled: Any) -> None:
        offsets, topic = await filled(3, {})

        assert await offsets.end_offsets(topic) == {0: 0, 1: 0, 2: 0}

    async def test_each_partition_ends_after_its_last_record(self, filled: Any) -> None:
        offsets, topic = await filled(3, {0: 2, 2: 5})

        assert await offsets.end_offsets(topic) == {0: 2, 1: 0, 2: 5}

    async def test_a_topic_that_does_not_exist_has_no_partitions(self, filled: Any) -> None:
        offsets, topic = await filled(1, {0: 1})

        assert await offsets.end_offsets(f"{topic}.missing") == {}
