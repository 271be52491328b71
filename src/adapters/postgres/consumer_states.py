"""The workers' states in PostgreSQL (table `consumer_states`, migration 0004)."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection_or_unavailable
from application.ports import ConsumerState, MemberState


class PostgresConsumerStates:
    """Implements ConsumerStates. Ages come from the database's clock alone, so that the
    clocks of the reporting and the reading hosts never have to agree."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def report(
        self, consumer_group: str, topic: str, member: str, state: ConsumerState
    ) -> None:
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO consumer_states (consumer_group, topic, member, state)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (consumer_group, topic, member)"
                " DO UPDATE SET state = EXCLUDED.state, seen_at = now()",
                (consumer_group, topic, member, state.value),
            )
            # Every process start is a new member: rows of workers gone for a day go.
            await conn.execute(
                "DELETE FROM consumer_states WHERE seen_at < now() - interval '1 day'"
            )

    async def members(self, consumer_group: str, topic: str) -> list[MemberState]:
        async with connection_or_unavailable(self._pool) as conn:
            cursor = await conn.execute(
                "SELECT member, state, extract(epoch FROM now() - seen_at)::float8"
                " FROM consumer_states WHERE consumer_group = %s AND topic = %s ORDER BY member",
                (consumer_group, topic),
            )
            rows = await cursor.fetchall()
        return [MemberState(member, ConsumerState(state), age) for member, state, age in rows]
