"""The redrive ledger (table `dlq_redrives`, migration 0005): which DLQ records went back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection_or_unavailable
from application.ports import DeadLetter, LetterId

_CLAIM = (
    "INSERT INTO dlq_redrives (dlq_topic, dlq_partition, dlq_offset, source_topic,"
    " redrive_count, requested_by)"
    " SELECT %s, p, o, s, c, %s FROM unnest(%s::int[], %s::bigint[], %s::text[], %s::int[])"
    " AS r(p, o, s, c)"
    " ON CONFLICT DO NOTHING RETURNING dlq_partition, dlq_offset"
)


class PostgresRedriveLedger:
    """Implements RedriveLedger. The claim's row locks are held until the produce was
    acknowledged: a concurrent redrive of the same record waits, then finds it claimed."""

    def __init__(self, pool: AsyncConnectionPool, dlq_topic: str) -> None:
        self._pool = pool
        self._topic = dlq_topic

    async def claim(
        self,
        letters: Sequence[DeadLetter],
        requested_by: str,
        send: Callable[[Sequence[DeadLetter]], Awaitable[None]],
    ) -> set[LetterId]:
        params = (
            self._topic,
            requested_by,
            [letter.partition for letter in letters],
            [letter.offset for letter in letters],
            [letter.source_topic or "" for letter in letters],
            [letter.redrive_count + 1 for letter in letters],
        )
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            rows = await (await conn.execute(_CLAIM, params)).fetchall()
            claimed = {LetterId(p, o) for p, o in rows}
            # A letter given twice is claimed once, and so sent once.
            fresh = list({x.id: x for x in letters if x.id in claimed}.values())
            if fresh:
                await send(fresh)  # an error rolls the claim back: nothing was redriven
        return claimed
