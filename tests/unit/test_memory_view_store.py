"""The in-memory view store against the view store contract."""

from __future__ import annotations

import pytest

from adapters.memory.views import MemoryViewStore
from tests.contracts.order_reader_outage import OrderReaderOutageContract
from tests.contracts.view_store import ViewStoreContract

pytestmark = pytest.mark.unit


class TestMemoryViewStore(ViewStoreContract):
    @pytest.fixture
    async def store(self) -> MemoryViewStore:
        return MemoryViewStore()


class TestMemoryViewStoreAway(OrderReaderOutageContract):
    @pytest.fixture
    def unreachable(self) -> MemoryViewStore:
        store = MemoryViewStore()
        store.reachable = False
        return store
