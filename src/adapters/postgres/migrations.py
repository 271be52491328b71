"""Versioned SQL migrations: files `migrations/NNNN_name.sql`, applied in order, recorded.

Every run holds a transaction-level advisory lock, so two instances starting at once apply
each migration exactly once (the second waits, then finds nothing left to do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from psycopg import AsyncConnection, sql

# Any fixed bigint works; this one spells "STRMVIEW" in ASCII so that it reads in pg_locks.
MIGRATION_LOCK_KEY = 0x5354524D56494557
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
_CREATE_LEDGER = sql.SQL(
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)


class SchemaError(RuntimeError):
    """The database schema is not the one this build of StreamView was written for."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: str

    def __str__(self) -> str:
        return f"{self.version:04d}_{self.name}"


def known_migrations() -> list[Migration]:
    """The migrations shipped with this build, by version (numbered 1, 2, … without gaps)."""
    # A data folder, not a package: without an __init__.py it never shadows this module.
    folder = resources.files("adapters.postgres").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise SchemaError(f"migration files are not numbered 1..n: {[str(m) for m in found]}")
    return found


async def migrate(conn: AsyncConnection) -> list[Migration]:
    """Apply every migration not applied yet, all in one transaction; return those applied."""
    known = known_migrations()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        await conn.execute(_CREATE_LEDGER)
        applied = await _applied_versions(conn)
        _refuse_newer(applied, known)
        pending = [m for m in known if m.version not in applied]
        for migration in pending:
            await conn.execute(sql.SQL(migration.statements))
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
    return pending


async def check_schema(conn: AsyncConnection) -> int:
    """The schema version, or SchemaError saying what to do when it is not the expected one."""
    known = known_migrations()
    cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    applied = await _applied_versions(conn) if row and row[0] else set()
    _refuse_newer(applied, known)
    missing = [str(m) for m in known if m.version not in applied]
    if missing:
        state = "not migrated" if not applied else f"at version {max(applied)}"
        raise SchemaError(
            f"database schema is {state}; this build needs version {known[-1].version} "
            f"(missing {', '.join(missing)}): run `streamview migrate`"
        )
    return known[-1].version


async def _applied_versions(conn: AsyncConnection) -> set[int]:
    cursor = await conn.execute("SELECT version FROM schema_migrations")
    return {version for (version,) in await cursor.fetchall()}


def _refuse_newer(applied: set[int], known: list[Migration]) -> None:
    unknown = sorted(applied - {m.version for m in known})
    if unknown:
        raise SchemaError(
            f"database schema has version {unknown[-1]}, newer than this build knows "
            f"({known[-1].version if known else 0}): upgrade StreamView before starting it"
        )
