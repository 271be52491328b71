"""Use cases for operators: where the consumer stands."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from application.ports import (
    ConsumerState,
    ConsumerStates,
    ConsumerStatus,
    EndOffsets,
    MemberState,
    ViewStore,
)
from application.topic_guard import GuardTopic, Problem

# When members disagree, the state that most needs an operator's eye is the group's.
_PRECEDENCE = (
    ConsumerState.FAILED,
    ConsumerState.REBUILDING,
    ConsumerState.PAUSED,
    ConsumerState.RUNNING,
    ConsumerState.STARTING,
    ConsumerState.STOPPED,
)


def group_state(members: list[MemberState], stale_after_seconds: float) -> ConsumerState:
    """The state of a consumer group from its members' reports: STARTING before any worker
    ever reported, STOPPED when none reported within `stale_after_seconds` (all stopped, or
    gone without a word), else the most pressing state among those that did."""
    if not members:
        return ConsumerState.STARTING
    current = {m.state for m in members if m.age_seconds <= stale_after_seconds}
    return next((state for state in _PRECEDENCE if state in current), ConsumerState.STOPPED)


class PartitionLag(msgspec.Struct, frozen=True):
    partition: int
    committed_offset: int
    end_offset: int
    lag: int


class ViewLag(msgspec.Struct, frozen=True):
    """How far one view of the stream is behind the topic's end."""

    view: str
    total_lag: int


class LagReport(msgspec.Struct, frozen=True):
    group_id: str
    topic: str
    state: ConsumerState
    total_lag: int
    partitions: list[PartitionLag]
    # What the guard rails found wrong with the topic or our access to it.
    problems: list[Problem] = []
    stream: str = "orders"
    views: list[ViewLag] = []


class ReportLag:
    """Lag per partition and the consumer's state: this process's own worker's state, or, for
    a process without a worker (`members` given), the group's state from its members."""

    def __init__(
        self,
        store: ViewStore,
        end_offsets: EndOffsets,
        status: ConsumerStatus,
        consumer_group: str,
        topic: str,
        members: ConsumerStates | None = None,
        stale_after_seconds: float = 15.0,
        guard: GuardTopic | None = None,
        stream: str = "orders",
        views: Sequence[str] = (),
    ) -> None:
        """`views`: the enabled views of the stream. Each is written in the transaction that
        moves the stream's positions, so each is exactly as far behind as the stream."""
        self._store = store
        self._end_offsets = end_offsets
        self._status = status
        self._group = consumer_group
        self._topic = topic
        self._members = members
        self._stale_after = stale_after_seconds
        self._guard = guard
        self._stream = stream
        self._views = tuple(views)

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
        total_lag = sum(p.lag for p in partitions)
        return LagReport(
            group_id=self._group,
            topic=self._topic,
            state=await self._state(),
            total_lag=total_lag,
            partitions=partitions,
            problems=await self._guard(stored) if self._guard is not None else [],
            stream=self._stream,
            views=[ViewLag(view, total_lag) for view in self._views],
        )

    async def _state(self) -> ConsumerState:
        if self._members is None:
            return self._status.state
        reports = await self._members.members(self._group, self._topic)
        return group_state(reports, self._stale_after)


class ConsumerProbe:
    """Implements ReadinessProbe for a process that runs its own worker (`streamview run`):
    not ready while the worker has failed, though reads go on being served meanwhile."""

    name = "consumer"

    def __init__(self, status: ConsumerStatus) -> None:
        self._status = status

    async def problem(self) -> str | None:
        if self._status.state is ConsumerState.FAILED:
            return "the worker failed and is restarting"
        return None
