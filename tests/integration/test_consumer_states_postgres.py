"""The ConsumerStates contract against PostgreSQL (table consumer_states, migration 0004)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.postgres.consumer_states import PostgresConsumerStates
from application.ports import ConsumerState
from tests.contracts.consumer_states import ConsumerStatesContract, ConsumerStatesOutageContract
from tests.integration.postgres_support import execute, open_pool, unreachable_pool


class TestPostgresConsumerStates(ConsumerStatesContract):
    @pytest.fixture
    async def states(self, database_url: str) -> AsyncIterator[PostgresConsumerStates]:
        async with open_pool(database_url) as pool:
            yield PostgresConsumerStates(pool)


class TestPostgresConsumerStatesAway(ConsumerStatesOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresConsumerStates]:
        async with unreachable_pool() as pool:
            yield PostgresConsumerStates(pool)


async def test_ages_come_from_the_database_and_day_old_members_are_pruned(
    database_url: str,
) -> None:
    async with open_pool(database_url) as pool:
        states = PostgresConsumerStates(pool)
        await states.report("group", "topic", "old:1", ConsumerState.RUNNING)
        await states.report("group", "topic", "older:1", ConsumerState.RUNNING)
        await execute(
            database_url,
            "UPDATE consumer_states SET seen_at = now() - interval '2 hours'"
            " WHERE member = 'old:1'",
        )
        await execute(
            database_url,
            "UPDATE consumer_states SET seen_at = now() - interval '25 hours'"
            " WHERE member = 'older:1'",
        )
        await states.report("group", "topic", "new:1", ConsumerState.STARTING)

        members = {m.member: m for m in await states.members("group", "topic")}

    assert sorted(members) == ["new:1", "old:1"]
    assert 7190 < members["old:1"].age_seconds < 7260
    assert members["new:1"].age_seconds < 60
