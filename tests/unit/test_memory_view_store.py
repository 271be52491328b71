"""The in-memory view store against the view store contract."""

from __future__ import annotations

import pytest

from adapters.memory.views import MemoryViewStore
from tests.contracts.view_store import ViewStoreContract

pytestmark = pytest.mark.unit


class TestMemoryViewStore(ViewStoreContract):
    @pytest.fixture
    async def store(self) -> MemoryViewStore:
        return MemoryViewStore()
