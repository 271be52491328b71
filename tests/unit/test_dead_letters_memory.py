"""The DeadLetterSink contract against MemoryDeadLetters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.memory.dead_letters import MemoryDeadLetters
from tests.contracts.dead_letters import DeadLetterSinkContract, Letter

pytestmark = pytest.mark.unit


@pytest.fixture
def sink() -> Callable[[], Awaitable[tuple[MemoryDeadLetters, Any]]]:
    async def make() -> tuple[MemoryDeadLetters, Any]:
        adapter = MemoryDeadLetters()

        async def read_back() -> list[Letter]:
            return [
                Letter(
                    sent.reason.value,
                    (sent.record.topic, sent.record.partition, sent.record.offset),
                    sent.record.key,
                    sent.record.value,
                )
                for sent in adapter.sent
            ]

        return adapter, read_back

    return make


class TestMemoryDeadLetters(DeadLetterSinkContract):
    pass
