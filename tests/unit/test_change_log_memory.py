"""The ChangeLog contract against the in-memory log, fed by MemoryViewStore's commits."""

from __future__ import annotations

import pytest

from adapters.memory.change_log import MemoryChangeLog
from adapters.memory.views import MemoryViewStore
from tests.contracts.change_log import ChangeLogContract, ChangeLogOutageContract, Logged

pytestmark = pytest.mark.unit


class TestMemoryChangeLog(ChangeLogContract):
    @pytest.fixture
    def logged(self) -> Logged:
        store = MemoryViewStore()

        async def age(seconds: float) -> None:
            store.changes.age(seconds)

        return Logged(store, store.changes, age)


class TestMemoryChangeLogAway(ChangeLogOutageContract):
    @pytest.fixture
    def unreachable(self) -> MemoryChangeLog:
        log = MemoryChangeLog()
        log.reachable = False
        return log
