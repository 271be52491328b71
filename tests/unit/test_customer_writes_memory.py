"""The customers view's in-memory tables against the CustomerWrites contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from tests.contracts.customer_writes import CustomerWritesContract, Rows
from views.customers.memory import MemoryCustomers
from views.customers.ports import CustomerWrites

pytestmark = pytest.mark.unit


class MemoryTables:
    """Transactions as MemoryViewStore runs them: the hooks given to `on_commit` run when the
    work ends without raising."""

    def __init__(self) -> None:
        self.customers = MemoryCustomers()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[CustomerWrites]:
        hooks: list[Callable[[], None]] = []
        yield self.customers.writes(hooks.append)
        for hook in hooks:
            hook()

    async def rows(self) -> Rows:
        c = self.customers
        return Rows(dict(c.summaries), dict(c.currencies), dict(c.versions))


class TestMemoryCustomerWrites(CustomerWritesContract):
    @pytest.fixture
    def tables(self) -> MemoryTables:
        return MemoryTables()
