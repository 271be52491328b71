"""Use cases for operators: where the consumer stands."""

from __future__ import annotations

import msgspec

from application.ports import ConsumerState, ConsumerStatus, EndOffsets, ViewStore


class PartitionLag(msgspec.Struct, frozen=True):
    partition: int
    committed_offset: int
    end_offset: int
    lag: int


class LagReport(msgspec.Struct, frozen=True):
    group_id: str
    topic: str
    state: ConsumerState
    total_lag: int
    partitions: list[PartitionLag]


class ReportLag:
    def __init__(
        self,
        store: ViewStore,
        end_offsets: EndOffsets,
        status: ConsumerStatus,
        consumer_group: str,
        topic: str,
    ) -> None:
        self._store = store
        self._end_offsets = end_offsets
        self._status = status
        self._group = consumer_group
        self._topic = topic

    async def __call__(self) -> LagReport:
        ends = await self._end_offsets.end_offsets(self._topic)
        stored = await self._store.positions(self._group, self._topic)
        partitions = [
            PartitionLag(
                partition=p,
                committed_offset=stored.get(p, 0),
                end_offset=end,
                lag=max(0, end - stored.get(p, 0)),
            )
            for p, end in sorted(ends.items())
        ]
        return LagReport(
            group_id=self._group,
            topic=self._topic,
            state=self._status.state,
            total_lag=sum(p.lag for p in partitions),
            partitions=partitions,
        )
