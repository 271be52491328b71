"""In-memory view store: the same semantics as the Postgres one, for tests and the demo."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from adapters.memory.change_log import MemoryChangeLog
from adapters.memory.outage import Switchable
from application.ports import (
    BatchWrite,
    EventIdTaken,
    ListQuery,
    OrderDetail,
    SortField,
    ViewPart,
)
from domain.batch import OrderSnapshot
from domain.projection import OrderLine, OrderView
from domain.records import Envelope

T = TypeVar("T")

# A plug-in view's part of a transaction, given the hook that runs its writes at commit.
PartOnCommit = Callable[[Callable[[Callable[[], None]], None]], ViewPart]

_SORT_ATTRIBUTE = {
    SortField.UPDATED_AT: "updated_at",
    SortField.CREATED_AT: "created_at",
    SortField.TOTAL_GROSS: "total_gross",
    SortField.ORDER_ID: "order_id",
}


class _Tables:
    def __init__(self) -> None:
        self.views: dict[str, OrderView] = {}
        self.projected_at: dict[str, datetime] = {}
        self.lines: dict[str, dict[int, OrderLine]] = {}
        self.stash: dict[str, dict[int, Envelope]] = {}
        self.positions: dict[tuple[str, str, int], int] = {}


class _Transaction:
    """Reads the committed tables; writes are held until commit, so a failure leaves nothing."""

    def __init__(
        self,
        tables: _Tables,
        changes: MemoryChangeLog,
        parts: Mapping[str, PartOnCommit] | None = None,
    ) -> None:
        self._tables = tables
        self._changes = changes
        self.pending: list[BatchWrite] = []
        self._commit_hooks: list[Callable[[], None]] = []
        self.view_parts: Mapping[str, ViewPart] = {
            view: part(self.on_commit) for view, part in (parts or {}).items()
        }

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` when this transaction commits: a plug-in view's held writes."""
        self._commit_hooks.append(hook)

    async def load(self, order_ids: Collection[str]) -> dict[str, OrderSnapshot]:
        t = self._tables
        return {
            order_id: OrderSnapshot(t.views.get(order_id), dict(t.stash.get(order_id, {})))
            for order_id in order_ids
            if order_id in t.views or t.stash.get(order_id)
        }

    async def save(self, write: BatchWrite) -> None:
        _check_event_ids(self._tables.views, write)
        self.pending.append(write)

    def commit(self) -> None:
        for write in self.pending:
            self._apply(write)
        for hook in self._commit_hooks:
            hook()

    def _apply(self, write: BatchWrite) -> None:
        t, now = self._tables, datetime.now(UTC)
        moved: dict[str, OrderView] = {}
        for view in write.result.views:
            current = t.views.get(view.order_id)
            # The same guard as the SQL upsert: a view never moves backwards.
            if current is None or current.last_event_sequence < view.last_event_sequence:
                t.views[view.order_id] = moved[view.order_id] = view
                t.projected_at[view.order_id] = now
        # Logged as the SQL upsert logs: one change per order moved, the furthest.
        self._changes.record(moved.values())
        for line in write.result.new_lines:
            t.lines.setdefault(line.order_id, {}).setdefault(line.line_no, line)
        for order_id, seq in write.result.released:
            t.stash.get(order_id, {}).pop(seq, None)
        for envelope in write.result.stashed:
            t.stash.setdefault(envelope.order_id, {}).setdefault(envelope.sequence, envelope)
        for p in write.positions:
            key = (write.consumer_group, p.topic, p.partition)
            t.positions[key] = max(t.positions.get(key, 0), p.next_offset)


def _check_event_ids(views: dict[str, OrderView], write: BatchWrite) -> None:
    """The UNIQUE dedup_event_id of orders_view: no two orders share a last eventId."""
    after = dict(views)
    for view in write.result.views:
        current = after.get(view.order_id)
        if current is None or current.last_event_sequence < view.last_event_sequence:
            after[view.order_id] = view
    holders: dict[str, str] = {}
    for order_id, view in after.items():
        if holders.setdefault(view.last_event_id, order_id) != order_id:
            raise EventIdTaken(view.last_event_id)


class MemoryViewStore(Switchable):
    """Implements ViewStore and OrderReader. `reachable = False` plays the database being
    away for readers: they get `Unavailable`, as from the PostgreSQL store. Every commit logs
    the views it moved in `changes` (the ChangeLog), as the PostgreSQL writer does."""

    def __init__(self, parts: Mapping[str, PartOnCommit] | None = None) -> None:
        """`parts`: the enabled plug-in views' shares of each projection transaction."""
        self._tables = _Tables()
        self._lock = asyncio.Lock()
        self._parts = dict(parts or {})
        self.changes = MemoryChangeLog()

    async def in_transaction(self, work: Callable[[_Transaction], Awaitable[T]]) -> T:
        async with self._lock:
            transaction = _Transaction(self._tables, self.changes, self._parts)
            result = await work(transaction)
            transaction.commit()
            return result

    async def positions(self, consumer_group: str, topic: str) -> dict[int, int]:
        return {
            partition: offset
            for (group, t, partition), offset in self._tables.positions.items()
            if group == consumer_group and t == topic
        }

    async def stashed_count(self) -> int:
        return sum(len(s) for s in self._tables.stash.values())

    async def get_order(self, order_id: str) -> OrderDetail | None:
        self._check_reachable()
        view = self._tables.views.get(order_id)
        if view is None:
            return None
        lines = self._tables.lines.get(order_id, {})
        return OrderDetail(view, tuple(lines[n] for n in sorted(lines)))

    async def list_orders(self, query: ListQuery) -> list[OrderView]:
        self._check_reachable()
        f, attribute = query.filters, _SORT_ATTRIBUTE[query.sort.field]
        rows = [
            v
            for v in self._tables.views.values()
            if (not f.statuses or v.status in f.statuses)
            and (f.customer_id is None or v.customer_id == f.customer_id)
            and (f.updated_from is None or f.updated_from <= v.updated_at)
            and (f.updated_to is None or v.updated_at < f.updated_to)
        ]

        def key(v: OrderView) -> tuple[object, str]:
            return (getattr(v, attribute), v.order_id)

        keyset = query.keyset
        backwards = keyset is not None and keyset.backwards
        descending = query.sort.descending != backwards
        rows.sort(key=key, reverse=descending)
        if keyset is not None:
            bound = (keyset.value, keyset.order_id)
            rows = [v for v in rows if (key(v) < bound if descending else key(v) > bound)]
        page = rows[query.offset : query.offset + query.limit]
        return page[::-1] if backwards else page

    # Whole tables at once, as SQL does them: for the rebuild (adapters.memory.shadow).

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """No transaction of this store runs while this is held."""
        async with self._lock:
            yield

    def take_views(self, other: MemoryViewStore) -> None:
        """The views, lines and stash become `other`'s, whose tables are left empty (its
        positions too); the positions here stay. Call while held."""
        mine, theirs = self._tables, other._tables
        mine.views, mine.projected_at = theirs.views, theirs.projected_at
        mine.lines, mine.stash = theirs.lines, theirs.stash
        other._tables = _Tables()

    def clear(self) -> None:
        """Empty every table, the positions too. Call while held."""
        self._tables = _Tables()

    def clear_views(self) -> None:
        """Empty the views, lines and stash; the positions stay. Call while held."""
        positions = self._tables.positions
        self._tables = _Tables()
        self._tables.positions = positions

    def put_positions(self, consumer_group: str, topic: str, at: Mapping[int, int]) -> None:
        """The group's positions on the topic become `at`, exactly. Call while held."""
        positions = self._tables.positions
        for key in [k for k in positions if k[:2] == (consumer_group, topic)]:
            del positions[key]
        positions.update({(consumer_group, topic, p): n for p, n in at.items()})
