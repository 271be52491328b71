"""The rebuild log in table `view_rebuilds` (migration 0002): one row per rebuild.

Staleness is judged by the database clock (`now()`), so that API and worker processes on
machines whose clocks disagree still agree on which rebuild lost its worker.
"""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection_or_unavailable
from application.errors import Unavailable
from application.rebuild.model import TRANSITIONS, Rebuild, RebuildState

_COLUMNS = (
    "rebuild_id",
    "mode",
    "state",
    "phase",
    "requested_at",
    "started_at",
    "updated_at",
    "finished_at",
    "owner",
    "events_replayed",
    "target_offsets",
    "cancel_requested",
    "error",
)
_RETURNING = sql.SQL(" RETURNING {}").format(sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)))
_SELECT = sql.SQL("SELECT {} FROM view_rebuilds").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
)
_ACTIVE = "state IN ('RUNNING', 'SWAPPING')"
_TERMINAL = [s.value for s in RebuildState if not TRANSITIONS[s]]


def _rebuild(row: tuple[Any, ...]) -> Rebuild:
    fields = dict(zip(_COLUMNS, row, strict=True))
    fields["target_offsets"] = {int(p): int(n) for p, n in fields["target_offsets"].items()}
    return msgspec.convert(fields, Rebuild)


class PostgresRebuildLog:
    """Implements RebuildLog."""

    def __init__(self, pool: AsyncConnectionPool, stale_after_seconds: float = 15.0) -> None:
        self._pool = pool
        self._stale_after = stale_after_seconds

    async def _one(self, query: sql.Composed, params: Any = None) -> Rebuild | None:
        async with connection_or_unavailable(self._pool) as conn:
            cursor = await conn.execute(query, params)
            row = await cursor.fetchone()
        return None if row is None else _rebuild(row)

    async def add(self, rebuild: Rebuild) -> Rebuild | None:
        insert = sql.SQL(
            "INSERT INTO view_rebuilds (rebuild_id, mode, state, phase)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING rebuild_id"
        )
        params = (rebuild.rebuild_id, rebuild.mode.value, rebuild.state.value, rebuild.phase.value)
        for _ in range(3):  # the active one may finish between the two statements
            async with connection_or_unavailable(self._pool) as conn:
                if await (await conn.execute(insert, params)).fetchone():
                    return None
            active = await self._one(_SELECT + sql.SQL(f" WHERE {_ACTIVE}"))
            if active is not None:
                return active
        raise Unavailable("could not record the rebuild: the active one keeps changing")

    async def get(self, rebuild_id: str) -> Rebuild | None:
        return await self._one(_SELECT + sql.SQL(" WHERE rebuild_id = %s"), (rebuild_id,))

    async def request_cancel(self, rebuild_id: str) -> Rebuild | None:
        # Nobody to tell when no worker claimed it yet: it is cancelled right here.
        cancelled = await self._one(
            sql.SQL(
                "UPDATE view_rebuilds SET cancel_requested = true,"
                " state = CASE WHEN owner IS NULL THEN 'CANCELLED' ELSE state END,"
                " finished_at = CASE WHEN owner IS NULL THEN now() END"
                " WHERE rebuild_id = %s AND state = 'RUNNING'"
            )
            + _RETURNING,
            (rebuild_id,),
        )
        return cancelled or await self.get(rebuild_id)

    async def expire_stale(self) -> None:
        async with connection_or_unavailable(self._pool) as conn:
            await conn.execute(
                "UPDATE view_rebuilds SET state = 'FAILED', finished_at = now(), error ="
                " CASE WHEN owner IS NULL"
                " THEN format('no worker claimed it within %%ss: is `streamview consume` or"
                " `streamview run` running?', %(s)s)"
                " ELSE format('its worker %%s stopped heartbeating for %%ss', owner, %(s)s) END"
                f" WHERE {_ACTIVE} AND coalesce(updated_at, requested_at)"
                " < now() - make_interval(secs => %(s)s)",
                {"s": self._stale_after},
            )

    async def claim(self, owner: str) -> Rebuild | None:
        return await self._one(
            sql.SQL(
                "UPDATE view_rebuilds SET owner = %s, phase = 'REPLAYING', started_at = now(),"
                " updated_at = now() WHERE rebuild_id = (SELECT rebuild_id FROM view_rebuilds"
                "  WHERE state = 'RUNNING' AND owner IS NULL ORDER BY requested_at LIMIT 1"
                "  FOR UPDATE SKIP LOCKED)"
            )
            + _RETURNING,
            (owner,),
        )

    async def heartbeat(self, rebuild: Rebuild) -> Rebuild | None:
        return await self._one(
            sql.SQL(
                "UPDATE view_rebuilds SET phase = %(phase)s, events_replayed = %(replayed)s,"
                " target_offsets = %(targets)s, updated_at = now()"
                f" WHERE rebuild_id = %(id)s AND owner = %(owner)s AND {_ACTIVE}"
            )
            + _RETURNING,
            _progress(rebuild),
        )

    async def move(self, rebuild: Rebuild, state: RebuildState, error: str | None = None) -> bool:
        sources = [s.value for s in RebuildState if state in TRANSITIONS[s]]
        async with connection_or_unavailable(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE view_rebuilds SET state = %(state)s, phase = %(phase)s,"
                " events_replayed = %(replayed)s, target_offsets = %(targets)s,"
                " error = %(error)s, updated_at = now(),"
                " finished_at = CASE WHEN %(state)s = ANY(%(terminal)s) THEN now() END"
                " WHERE rebuild_id = %(id)s AND owner = %(owner)s AND state = ANY(%(sources)s)"
                " AND (%(state)s <> 'SWAPPING' OR NOT cancel_requested)",
                _progress(rebuild)
                | {"state": state.value, "error": error, "sources": sources, "terminal": _TERMINAL},
            )
            return cursor.rowcount == 1


def _progress(rebuild: Rebuild) -> dict[str, Any]:
    return {
        "id": rebuild.rebuild_id,
        "owner": rebuild.owner,
        "phase": rebuild.phase.value,
        "replayed": rebuild.events_replayed,
        "targets": Jsonb({str(p): n for p, n in rebuild.target_offsets.items()}),
    }
