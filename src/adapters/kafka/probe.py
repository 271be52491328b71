"""Readiness: the broker answers and the consumed topic exists."""

from __future__ import annotations

from adapters.kafka.offsets import KafkaEndOffsets


class KafkaProbe:
    """Implements ReadinessProbe."""

    name = "kafka"

    def __init__(self, topics: KafkaEndOffsets, topic: str) -> None:
        self._topics = topics
        self._topic = topic

    async def problem(self) -> str | None:
        try:
            partitions = await self._topics.partitions(self._topic)
        except Exception as error:  # every client error and timeout means "not ready"
            return f"kafka unreachable: {error!r}"
        if not partitions:
            return f"kafka topic {self._topic!r} does not exist"
        return None
