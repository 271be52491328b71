"""The change log (migration 0005): written by the projection transaction, read by the feeds.

The writer's view upsert becomes `WITH written AS (INSERT … RETURNING …) INSERT INTO
order_changes SELECT … FROM written`: the log gets exactly the rows the guard let through, from
the rows already in hand, in the same statement (no extra round trip). Before it the writer
takes CHANGE_LOG_LOCK_KEY, so ids are allocated, and committed, one transaction at a time:
commit order is id order, and a reader never sees id N before an id below N. Committing
transactions that NOTIFY are serialized by PostgreSQL anyway (the notification queue lock), so
the lock costs little more than the NOTIFY already does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection_or_unavailable
from adapters.postgres.rows import VIEW_COLUMNS, column_list, view_from_row
from application.ports import Change, ChangeFilter, ChangePage

CHANGES_TABLE = sql.Identifier("order_changes")
# Any fixed bigint; "SVCHANGE" in ASCII, readable in pg_locks.
CHANGE_LOG_LOCK_KEY = 0x5356434841474545
# The channel the projection transaction notifies on commit; the payload is the consumer group.
COMMITS_CHANNEL = "streamview_commits"
MAX_NOTIFY_PAYLOAD = 1000  # PostgreSQL's limit is 8000 bytes; a group name is far shorter

LOCK = sql.SQL("SELECT pg_advisory_xact_lock({})").format(sql.Literal(CHANGE_LOG_LOCK_KEY))
NOTIFY = sql.SQL("SELECT pg_notify({}, %s)").format(sql.Literal(COMMITS_CHANNEL))


def logged_upsert(upsert: sql.Composable) -> sql.Composed:
    """The view upsert that also logs every row it wrote, in one statement."""
    cols = column_list(VIEW_COLUMNS)
    return sql.SQL(
        "WITH written AS ({upsert} RETURNING {cols})"
        " INSERT INTO {changes} ({cols}) SELECT {cols} FROM written ORDER BY order_id"
    ).format(upsert=upsert, cols=cols, changes=CHANGES_TABLE)


def notify_payload(consumer_group: str) -> str:
    return consumer_group.encode()[:MAX_NOTIFY_PAYLOAD].decode(errors="ignore")


_CHANGE_COLUMNS = column_list(("change_id", *VIEW_COLUMNS))
_PAGE = sql.SQL(
    "SELECT (SELECT pruned_through FROM order_changes_pruned),"
    " (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM order_changes_change_id_seq),"
    " c.* FROM (SELECT {cols} FROM order_changes WHERE change_id > %(after)s"
    " AND change_id <= %(until)s"
    " AND (%(order_id)s::text IS NULL OR order_id = %(order_id)s)"
    " AND (%(customer_id)s::text IS NULL OR customer_id = %(customer_id)s)"
    " AND (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s))"
    " ORDER BY change_id LIMIT %(limit)s) AS c RIGHT JOIN (SELECT 1) AS one ON true"
    " ORDER BY c.change_id"
).format(cols=_CHANGE_COLUMNS)
_SINCE = sql.SQL(
    "SELECT {cols} FROM order_changes WHERE change_id > %s ORDER BY change_id LIMIT %s"
).format(cols=_CHANGE_COLUMNS)
_HEAD = "SELECT coalesce(max(change_id), 0) FROM order_changes"
# One transaction: the rows go and the mark of how far they went moves together.
_PRUNE = (
    "WITH gone AS (DELETE FROM order_changes WHERE committed_at < now() - make_interval("
    "secs => %s) RETURNING change_id) UPDATE order_changes_pruned SET pruned_through ="
    " greatest(pruned_through, (SELECT coalesce(max(change_id), 0) FROM gone))"
    " RETURNING (SELECT count(*) FROM gone)"
)


def change_from_row(row: Sequence[Any]) -> Change:
    return Change(int(row[0]), view_from_row(row[1:]))


class PostgresChangeLog:
    """Implements ChangeLog over `order_changes`."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def page(self, after: int, until: int, filter_: ChangeFilter, limit: int) -> ChangePage:
        params = {
            "after": after,
            "until": until,
            "order_id": filter_.order_id,
            "customer_id": filter_.customer_id,
            "statuses": [s.value for s in filter_.statuses] or None,
            "limit": limit,
        }
        async with connection_or_unavailable(self._pool) as conn:
            rows = await (await conn.execute(_PAGE, params)).fetchall()
        changes = [change_from_row(row[2:]) for row in rows if row[2] is not None]
        return ChangePage(changes, int(rows[0][0]), int(rows[0][1]))

    async def prune(self, older_than_seconds: float) -> int:
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            row = await (await conn.execute(_PRUNE, (older_than_seconds,))).fetchone()
        return int(row[0]) if row else 0


async def changes_since(conn: AsyncConnection, after: int, limit: int) -> list[Change]:
    rows = await (await conn.execute(_SINCE, (after, limit))).fetchall()
    return [change_from_row(row) for row in rows]


async def last_change_id(conn: AsyncConnection) -> int:
    row = await (await conn.execute(_HEAD)).fetchone()
    return int(row[0]) if row else 0
