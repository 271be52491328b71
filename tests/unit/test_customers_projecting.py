"""ProjectCustomers when another writer of the same orders commits in the middle of its
transaction (a zombie consumer, or the partition's new owner): each event counted once, and
the order's contribution as far as the furthest writer took it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence

import pytest

from domain.records import Envelope
from tests.support.events import at, envelope, item, item_added, order_created, status_changed
from views.customers.domain import BatchChanges, OrderContribution, aggregate, contribute
from views.customers.memory import MemoryCustomers
from views.customers.ports import ContributionMove, CustomerWrites
from views.customers.projecting import ProjectCustomers

pytestmark = pytest.mark.unit

_BODIES = [
    order_created("o-1", items=[item(price="10.00", tax_rate="0.23")], customer_id="c-1",
                  event_id="o-1-1", occurred_at=at(0)),
    item_added("o-1", item_id="b", price="5.00", event_id="o-1-2", occurred_at=at(1)),
    status_changed("o-1", "CANCELLED", event_id="o-1-3", occurred_at=at(2)),
    status_changed("o-1", "PAID", event_id="o-1-4", occurred_at=at(3)),
]  # fmt: skip
LOG = [envelope(body, seq) for seq, body in enumerate(_BODIES, start=1)]


class OtherWriterCommits:
    """CustomerWrites of one transaction, during which another writer's transaction runs and
    commits just before this one first calls `before` ("contributions" or "move")."""

    def __init__(
        self, inner: CustomerWrites, before: str, other: Callable[[], Awaitable[None]]
    ) -> None:
        self._inner, self._before, self._other = inner, before, other
        self.others = 0

    async def _maybe(self, method: str) -> None:
        if method == self._before and not self.others:
            self.others += 1
            await self._other()

    async def contributions(self, order_ids: Collection[str]) -> dict[str, OrderContribution]:
        await self._maybe("contributions")
        return await self._inner.contributions(order_ids)

    async def move(self, moves: Sequence[ContributionMove]) -> list[ContributionMove]:
        await self._maybe("move")
        return await self._inner.move(moves)

    async def add(self, changes: BatchChanges) -> None:
        await self._inner.add(changes)


class RefusesEverything:
    """A broken store: every move refused, the stored contributions never moving."""

    async def contributions(self, order_ids: Collection[str]) -> dict[str, OrderContribution]:
        return {}

    async def move(self, moves: Sequence[ContributionMove]) -> list[ContributionMove]:
        return []

    async def add(self, changes: BatchChanges) -> None:
        raise AssertionError("nothing was moved, so nothing may be added")


async def transaction(
    customers: MemoryCustomers,
    applied: Sequence[Envelope],
    wrap: Callable[[CustomerWrites], CustomerWrites] | None = None,
) -> None:
    """A projection transaction of the customers view alone, as MemoryViewStore runs it."""
    hooks: list[Callable[[], None]] = []
    writes = customers.writes(hooks.append)
    await ProjectCustomers(writes if wrap is None else wrap(writes)).project(applied)
    for hook in hooks:
        hook()


def folded(events: Sequence[Envelope]) -> OrderContribution:
    state = None
    for e in events:
        state = contribute(state, e.event, e.sequence)
    assert state is not None
    return state


@pytest.mark.parametrize("before", ["contributions", "move"])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(2, 2), (3, 2), (2, 3), (4, 3)],
    ids=["the-same", "ours-further", "theirs-further", "ours-further-by-two"],
)
async def test_each_event_counts_once_and_the_furthest_writer_wins(
    before: str, ours: int, theirs: int
) -> None:
    customers = MemoryCustomers()
    await transaction(customers, LOG[:1])

    def wrap(writes: CustomerWrites) -> OtherWriterCommits:
        return OtherWriterCommits(writes, before, lambda: transaction(customers, LOG[1:theirs]))

    # Both loaded the order at sequence 1 from orders_view: each applies from 2.
    await transaction(customers, LOG[1:ours], wrap)

    furthest = folded(LOG[: max(ours, theirs)])
    assert customers.contributions == {"o-1": furthest}
    assert (customers.summaries, customers.currencies) == aggregate([furthest])
    # A write each: the first order, the other writer's, ours when it took the order further.
    assert customers.versions == {"c-1": 3 if ours > theirs else 2}


async def test_a_store_that_refuses_without_moving_stops_the_batch() -> None:
    with pytest.raises(RuntimeError, match="refused, yet not moved"):
        await ProjectCustomers(RefusesEverything()).project(LOG)
