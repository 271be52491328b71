"""The dead-letter ops contracts against the in-memory adapters, and with them switched off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest

from adapters.memory.dead_letter_ops import (
    MemoryDeadLetterReader,
    MemoryRedriveLedger,
    MemoryRedriveSender,
)
from adapters.memory.topic import MemoryTopic
from application.ports import DeadLetter, DeadLetterReader, RedriveLedger, RedriveSender
from tests.contracts.dead_letter_ops import (
    DeadLetterReaderContract,
    DeadLetterReaderOutageContract,
    RedriveLedgerContract,
    RedriveLedgerOutageContract,
    RedriveSenderContract,
    RedriveSenderOutageContract,
    Sent,
)

pytestmark = pytest.mark.unit

ReadBack = Callable[[], Awaitable[list[Sent]]]


class TestMemoryDeadLetterReader(DeadLetterReaderContract):
    @pytest.fixture
    def dlq(self) -> Callable[[Sequence[DeadLetter], int], Awaitable[DeadLetterReader]]:
        async def make(letters: Sequence[DeadLetter], partitions: int) -> DeadLetterReader:
            return MemoryDeadLetterReader(letters, partitions)

        return make


class TestMemoryDeadLetterReaderOff(DeadLetterReaderOutageContract):
    @pytest.fixture
    def unreachable(self) -> DeadLetterReader:
        reader = MemoryDeadLetterReader()
        reader.reachable = False
        return reader


class TestMemoryRedriveSender(RedriveSenderContract):
    @pytest.fixture
    def sending(self) -> Callable[[int], Awaitable[tuple[RedriveSender, str, ReadBack]]]:
        async def make(partitions: int) -> tuple[RedriveSender, str, ReadBack]:
            topic = MemoryTopic("orders.events", partitions)

            async def read_back() -> list[Sent]:
                return [
                    Sent(r.partition, r.key, r.value, r.headers)
                    for p in range(topic.partitions)
                    for r in topic.read(p, 0, 1000)
                ]

            return MemoryRedriveSender(topic), topic.name, read_back

        return make


class TestMemoryRedriveSenderOff(RedriveSenderOutageContract):
    @pytest.fixture
    def unreachable(self) -> RedriveSender:
        sender = MemoryRedriveSender(MemoryTopic("orders.events"))
        sender.reachable = False
        return sender


class TestMemoryRedriveLedger(RedriveLedgerContract):
    @pytest.fixture
    def ledger(self) -> RedriveLedger:
        return MemoryRedriveLedger()


class TestMemoryRedriveLedgerOff(RedriveLedgerOutageContract):
    @pytest.fixture
    def unreachable(self) -> RedriveLedger:
        ledger = MemoryRedriveLedger()
        ledger.reachable = False
        return ledger
