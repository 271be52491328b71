"""What the catalog says about the live view tables, and how to give shadow tables the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, sql


def shadow_name(name: str) -> str:
    return f"{name[:56]}_shadow"  # identifiers are cut at 63 bytes


@dataclass(frozen=True)
class Index:
    name: str
    definition: str  # pg_get_indexdef: CREATE [UNIQUE] INDEX name ON table USING …
    constraint: str | None  # pg_get_constraintdef when the index backs a constraint
    primary: bool

    @property
    def unique(self) -> bool:
        return self.definition.startswith("CREATE UNIQUE")

    def create_on(self, table: str) -> sql.Composed:
        shadow, target = sql.Identifier(shadow_name(self.name)), sql.Identifier(table)
        if self.constraint is not None:
            return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                target,
                shadow,
                sql.SQL(self.constraint),
            )
        unique = "UNIQUE " if self.unique else ""
        method_and_columns = self.definition.split(" USING ", 1)[1]
        return sql.SQL("CREATE {}INDEX {} ON {} USING {}").format(
            sql.SQL(unique),
            shadow,
            target,
            sql.SQL(method_and_columns),
        )


async def indexes_of(conn: AsyncConnection, table: str) -> list[Index]:
    cursor = await conn.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), pg_get_constraintdef(c.oid),"
        " x.indisprimary FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid"
        " WHERE x.indrelid = %s::regclass ORDER BY i.relname",
        (table,),
    )
    return [Index(*row) for row in await cursor.fetchall()]


async def server_started(conn: AsyncConnection) -> datetime:
    cursor = await conn.execute("SELECT pg_postmaster_start_time()")
    row = await cursor.fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


async def copy_grants(conn: AsyncConnection, live: str, shadow: str) -> None:
    """What other roles may do with the live table (a read-only API role, say) carries over."""
    cursor = await conn.execute(
        "SELECT grantee, string_agg(privilege_type, ', ') FROM information_schema.table_privileges"
        " WHERE table_schema = current_schema() AND table_name = %s AND grantee <> current_user"
        " GROUP BY grantee",
        (live,),
    )
    for grantee, privileges in await cursor.fetchall():
        role = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        await conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(privileges),
                sql.Identifier(shadow),
                role,
            )
        )
