"""Timestamps that always load: a timestamptz no Python datetime can hold reads as the nearest
one that can, instead of failing the read (and with it a page of the API or the worker).

StreamView bounds `occurredAt` so that it never stores such a value; views written before that
bound existed (`9999-12-31T23:59:59-14:00` is year 10000 in UTC) still read, at the edge.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import psycopg
from psycopg import AsyncConnection
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_OID = psycopg.postgres.types["timestamptz"].oid
_TEXT = psycopg.adapters.get_loader(_OID, Format.TEXT)
_BINARY = psycopg.adapters.get_loader(_OID, Format.BINARY)


class _BoundedText(Loader):
    """Wraps psycopg's own (C) loader, which cannot be subclassed."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._loader = _TEXT(oid, context)  # type: ignore[misc]  # found at import: not None

    def load(self, data: Buffer) -> datetime:
        try:
            return self._loader.load(data)  # type: ignore[no-any-return]
        except psycopg.DataError:
            return _EARLIEST if bytes(data).endswith(b"BC") else _LATEST


class _BoundedBinary(Loader):
    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._loader = _BINARY(oid, context)  # type: ignore[misc]  # found at import: not None

    def load(self, data: Buffer) -> datetime:
        try:
            return self._loader.load(data)  # type: ignore[no-any-return]
        except psycopg.DataError:  # microseconds since 2000-01-01, or ±infinity
            return _EARLIEST if struct.unpack("!q", bytes(data))[0] < 0 else _LATEST


def load_bounded_timestamps(conn: AsyncConnection) -> None:
    conn.adapters.register_loader(_OID, _BoundedText)
    conn.adapters.register_loader(_OID, _BoundedBinary)
