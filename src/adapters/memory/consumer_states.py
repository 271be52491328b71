"""The workers' states in memory: what `consumer_states` holds in PostgreSQL, for one process."""

from __future__ import annotations

import time

from adapters.memory.outage import Switchable
from application.ports import ConsumerState, MemberState


class MemoryConsumerStates(Switchable):
    """Implements ConsumerStates within one process."""

    service = "the in-memory consumer states"

    def __init__(self) -> None:
        self._reports: dict[tuple[str, str, str], tuple[ConsumerState, float]] = {}

    async def report(
        self, consumer_group: str, topic: str, member: str, state: ConsumerState
    ) -> None:
        self._check_reachable()
        self._reports[consumer_group, topic, member] = (state, time.monotonic())

    async def members(self, consumer_group: str, topic: str) -> list[MemberState]:
        self._check_reachable()
        now = time.monotonic()
        return [
            MemberState(member, state, now - seen)
            for (group, top, member), (state, seen) in sorted(self._reports.items())
            if (group, top) == (consumer_group, topic)
        ]
