"""The customers view's PostgreSQL tables against the CustomerWrites contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from psycopg_pool import AsyncConnectionPool

from tests.contracts.customer_writes import CustomerWritesContract, Rows
from tests.integration.customers_support import customer_rows, customers_pool
from views.customers.ports import CustomerWrites
from views.customers.postgres_writes import PostgresCustomerWrites


class PostgresTables:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[CustomerWrites]:
        async with self._pool.connection() as conn, conn.transaction():
            yield PostgresCustomerWrites(conn)

    async def rows(self) -> Rows:
        return await customer_rows(self._pool)


class TestPostgresCustomerWrites(CustomerWritesContract):
    @pytest.fixture
    async def tables(self, database_url: str) -> AsyncIterator[PostgresTables]:
        async with customers_pool(database_url) as pool:
            yield PostgresTables(pool)
