"""The ChangeLog contract against PostgreSQL (order_changes, migration 0005), fed by the real
writer (PostgresViewStore's projection transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.postgres.change_log import PostgresChangeLog
from adapters.postgres.store import PostgresViewStore
from tests.contracts.change_log import ChangeLogContract, ChangeLogOutageContract, Logged
from tests.integration.postgres_support import execute, open_pool, unreachable_pool

pytestmark = pytest.mark.integration


class TestPostgresChangeLog(ChangeLogContract):
    @pytest.fixture
    async def logged(self, database_url: str) -> AsyncIterator[Logged]:
        async def age(seconds: float) -> None:
            await execute(
                database_url,
                "UPDATE order_changes SET committed_at = committed_at"
                f" - make_interval(secs => {float(seconds)})",
            )

        async with open_pool(database_url) as pool:
            yield Logged(PostgresViewStore(pool), PostgresChangeLog(pool), age)


class TestPostgresChangeLogAway(ChangeLogOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresChangeLog]:
        async with unreachable_pool() as pool:
            yield PostgresChangeLog(pool)
