"""The contract of the DeadLetterSink port: every adapter passes it unchanged.

Subclass `DeadLetterSinkContract` (in a `test_*.py` module) and provide a fixture `sink`: an
async factory that returns `(adapter, read_back)`, where `await read_back()` lists what the
adapter has published so far as `Letter`s, in order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from domain.records import DlqReason, RawRecord, Rejected


class Letter(NamedTuple):
    reason: str
    source: tuple[str, int, int]  # topic, partition, offset of the rejected record
    key: bytes | None
    value: bytes | None


def letter(offset: int, reason: DlqReason = DlqReason.INVALID_JSON) -> Rejected:
    record = RawRecord("orders.events", 0, offset, b"order-1", b"{not json", ())
    return Rejected(record, reason, "detail")


class DeadLetterSinkContract:
    async def test_nothing_to_publish_publishes_nothing(self, sink: Any) -> None:
        adapter, read_back = await sink()

        await adapter.publish([])

        assert await read_back() == []

    async def test_letters_keep_their_reason_their_source_and_the_record(self, sink: Any) -> None:
        adapter, read_back = await sink()

        await adapter.publish([letter(3), letter(4, DlqReason.UNKNOWN_TYPE)])

        assert await read_back() == [
            Letter("invalid_json", ("orders.events", 0, 3), b"order-1", b"{not json"),
            Letter("unknown_type", ("orders.events", 0, 4), b"order-1", b"{not json"),
        ]

    async def test_later_batches_follow_the_earlier_ones(self, sink: Any) -> None:
        adapter, read_back = await sink()

        await adapter.publish([letter(1)])
        await adapter.publish([letter(2)])

        assert [sent.source[2] for sent in await read_back()] == [1, 2]
