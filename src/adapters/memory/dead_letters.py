"""The dead-letter sink in memory: what was rejected, kept in a list that tests read."""

from __future__ import annotations

from collections.abc import Sequence

from domain.records import Rejected


class MemoryDeadLetters:
    """Implements DeadLetterSink; `sent` holds every letter in the order published."""

    def __init__(self) -> None:
        self.sent: list[Rejected] = []

    async def publish(self, letters: Sequence[Rejected]) -> None:
        self.sent.extend(letters)
