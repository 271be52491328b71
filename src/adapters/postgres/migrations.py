"""Versioned SQL migrations: files `migrations/NNNN_name.sql`, applied in order, recorded.

The engine's own migrations (this package's folder) are recorded in `schema_migrations`; each
enabled plug-in view brings a folder of its own (`ViewSchema`), numbered from 1 and recorded
under the view's name in `view_migrations`, so views evolve independently of each other.

Every run holds a transaction-level advisory lock, so two instances starting at once apply
each migration exactly once (the second waits, then finds nothing left to do).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from psycopg import AsyncConnection, sql

# Any fixed bigint works; this one spells "STRMVIEW" in ASCII so that it reads in pg_locks.
MIGRATION_LOCK_KEY = 0x5354524D56494557
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
_CREATE_LEDGER = sql.SQL(
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)
_CREATE_VIEW_LEDGER = sql.SQL(
    "CREATE TABLE IF NOT EXISTS view_migrations ("
    " view text NOT NULL, version integer NOT NULL, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (view, version))"
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


@dataclass(frozen=True)
class ViewSchema:
    """A plug-in view's migrations: `folder` holds its `NNNN_name.sql` files."""

    view: str
    folder: Traversable

    def migrations(self) -> list[Migration]:
        return _numbered(self.folder, f"view {self.view}")


def known_migrations() -> list[Migration]:
    """The migrations shipped with this build, by version (numbered 1, 2, … without gaps)."""
    # A data folder, not a package: without an __init__.py it never shadows this module.
    return _numbered(resources.files("adapters.postgres").joinpath("migrations"), "the engine")


def _numbered(folder: Traversable, whose: str) -> list[Migration]:
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise SchemaError(
            f"migration files of {whose} are not numbered 1..n: {[str(m) for m in found]}"
        )
    return found


async def migrate(conn: AsyncConnection, views: Sequence[ViewSchema] = ()) -> list[Migration]:
    """Apply every migration not applied yet (the engine's, then each view's), all in one
    transaction; return those applied (a view's named `<view>:NNNN_name`)."""
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
        if views:
            await conn.execute(_CREATE_VIEW_LEDGER)
        for view in views:
            pending += await _migrate_view(conn, view)
    return pending


async def _migrate_view(conn: AsyncConnection, view: ViewSchema) -> list[Migration]:
    known = view.migrations()
    applied = await _applied_view_versions(conn, view.view)
    _refuse_newer(applied, known)
    if not applied and known and await _consumed(conn):
        raise SchemaError(
            f"view {view.view!r} is new to a database whose streams were already consumed: it "
            "would miss every event before now. Enabling a view on a consumed stream needs a "
            "backfill from offset 0, which this build cannot do yet: start it on a new "
            "database, or leave it out of STREAMVIEW_VIEWS"
        )
    pending = [m for m in known if m.version not in applied]
    for migration in pending:
        await conn.execute(sql.SQL(migration.statements))
        await conn.execute(
            "INSERT INTO view_migrations (view, version, name) VALUES (%s, %s, %s)",
            (view.view, migration.version, migration.name),
        )
    return [Migration(m.version, f"{view.view}:{m.name}", m.statements) for m in pending]


async def check_schema(conn: AsyncConnection, views: Sequence[ViewSchema] = ()) -> int:
    """The engine's schema version, or SchemaError saying what to do when it, or the schema
    of an enabled view, is not the expected one."""
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
    if views:
        await _check_views(conn, views)
    return known[-1].version


async def _check_views(conn: AsyncConnection, views: Sequence[ViewSchema]) -> None:
    cursor = await conn.execute("SELECT to_regclass('view_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    ledger = bool(row and row[0])
    for view in views:
        known = view.migrations()
        applied = await _applied_view_versions(conn, view.view) if ledger else set()
        _refuse_newer(applied, known)
        missing = [str(m) for m in known if m.version not in applied]
        if missing:
            raise SchemaError(
                f"the tables of view {view.view!r} are not migrated (missing "
                f"{', '.join(missing)}): run `streamview migrate` with this STREAMVIEW_VIEWS"
            )


async def _consumed(conn: AsyncConnection) -> bool:
    cursor = await conn.execute("SELECT EXISTS (SELECT FROM consumer_positions)")
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _applied_view_versions(conn: AsyncConnection, view: str) -> set[int]:
    cursor = await conn.execute("SELECT version FROM view_migrations WHERE view = %s", (view,))
    return {version for (version,) in await cursor.fetchall()}


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
