"""Readiness: the broker answers and the consumed topic exists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.kafka.offsets import KafkaEndOffsets


class KafkaProbe:
    """Implements ReadinessProbe."""

    name = "kafka"

    def __init__(
        self,
        topics: KafkaEndOffsets,
        topic: str,
        explain: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self._topics = topics
        self._topic = topic
        self._explain = explain  # why the broker refuses this client, if it does

    async def problem(self) -> str | None:
        try:
            partitions = await self._topics.partitions(self._topic)
        except Exception as error:  # every client error and timeout means "not ready"
            reason = await self._explain() if self._explain is not None else None
            if reason is not None:
                return f"kafka refuses this client: {reason}"
            return f"kafka unreachable: {error!r}"
        if not partitions:
            return f"kafka topic {self._topic!r} does not exist"
        return None
