"""Ceiling (b2): PostgreSQL taking the same number of rows by COPY, no Python logic per row.

The rows go into a table `LIKE orders_view INCLUDING ALL` (same columns, keys and indexes),
so the figure is what this database can absorb in the views' shape. Rows are rendered to COPY
text before the clock starts: what is timed is the database side only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import psycopg

_STATUSES = ("CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")
_CHUNK_ROWS = 10_000

# One renderer per orders_view column of CONTRACT §4; values valid for text or typed columns.
_COLUMNS: dict[str, Callable[[int], str]] = {
    "order_id": lambda n: f"copy-{n:08d}",
    "customer_id": lambda n: f"cust-{n % 500:05d}",
    "status": lambda n: _STATUSES[n % 5],
    "currency": lambda n: "EUR",
    "total_net": lambda n: f"{n % 10_000}.{n % 100:02d}",
    "total_gross": lambda n: f"{n % 12_000}.{n % 100:02d}",
    "item_count": lambda n: str(1 + n % 7),
    "line_count": lambda n: str(1 + n % 4),
    "created_at": lambda n: f"2026-11-{1 + n % 28:02d} 10:{n % 60:02d}:00+00",
    "updated_at": lambda n: f"2026-11-{1 + n % 28:02d} 11:{n % 60:02d}:00+00",
    "last_event_sequence": lambda n: str(1 + n % 5),
    "last_event_id": lambda n: str(uuid.UUID(int=n, version=4)),
    "dedup_event_id": lambda n: str(uuid.UUID(int=n, version=4)),
    "projected_at": lambda n: "2026-11-28 12:00:00+00",
}


def _render(columns: list[str], rows: int) -> list[bytes]:
    renderers = [_COLUMNS[c] for c in columns]
    chunks = []
    for start in range(0, rows, _CHUNK_ROWS):
        lines = (
            "\t".join(render(n) for render in renderers)
            for n in range(start, min(rows, start + _CHUNK_ROWS))
        )
        chunks.append(("\n".join(lines) + "\n").encode())
    return chunks


async def run(database_url: str, rows: int) -> dict:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute("DROP TABLE IF EXISTS bench_copy_ceiling")
        await conn.execute("CREATE TABLE bench_copy_ceiling (LIKE orders_view INCLUDING ALL)")
        cursor = await conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'bench_copy_ceiling' ORDER BY ordinal_position"
        )
        columns = [name for (name,) in await cursor.fetchall() if name in _COLUMNS]
        await conn.commit()
        chunks = _render(columns, rows)
        started = time.perf_counter()
        async with conn.cursor().copy(
            f"COPY bench_copy_ceiling ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for chunk in chunks:
                await copy.write(chunk)
        await conn.commit()
        seconds = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_copy_ceiling")
        await conn.commit()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
