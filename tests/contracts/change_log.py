"""The contract of the ChangeLog port: every adapter passes it unchanged.

The log is fed as in production, by the view store's projection transaction. Subclass
`ChangeLogContract` (in a `test_*.py` module) and provide an async fixture `logged`: a
`Logged` over an empty store and its log. Subclass `ChangeLogOutageContract` and provide a
fixture `unreachable`: a log whose store is away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from application.errors import Unavailable
from application.ports import (
    BatchWrite,
    Change,
    ChangeFilter,
    ChangeLog,
    ChangePage,
    ProjectionTransaction,
    ViewStore,
)
from domain.batch import apply_batch
from domain.events import Item, OrderCreated, OrderStatus, OrderStatusChanged
from domain.records import Envelope
from tests.contracts.view_store_data import T0

EVERYTHING = ChangeFilter()
ALL = 10**9
PAID, SHIPPED = OrderStatus.PAID, OrderStatus.SHIPPED


@dataclass
class Logged:
    store: ViewStore
    log: ChangeLog
    # Every change logged so far becomes this many seconds older.
    age: Callable[[float], Awaitable[None]]

    async def write(self, *envelopes: Envelope) -> None:
        """One projection transaction of these events, as the worker runs it for a batch."""

        async def work(tx: ProjectionTransaction) -> None:
            result = apply_batch(await tx.load({e.order_id for e in envelopes}), envelopes)
            await tx.save(BatchWrite("g", result, ()))

        await self.store.in_transaction(work)

    async def everything(self) -> ChangePage:
        return await self.log.page(0, ALL, EVERYTHING, ALL)


def created(order_id: str, customer: str = "c-1") -> Envelope:
    item = Item("item-1", "sku-1", 1, Decimal("10.00"), Decimal("0.23"))
    event = OrderCreated(f"{order_id}/event-1", T0, order_id, customer, "EUR", (item,))
    return Envelope(event, 1)


def moved(order_id: str, sequence: int, status: OrderStatus) -> Envelope:
    occurred = T0 + timedelta(minutes=sequence)
    event = OrderStatusChanged(f"{order_id}/event-{sequence}", occurred, order_id, status)
    return Envelope(event, sequence)


def seen(changes: list[Change]) -> list[tuple[str, int, str]]:
    """What each change says: the order, how far it got, its status."""
    return [(c.view.order_id, c.view.last_event_sequence, str(c.view.status)) for c in changes]


def ids(page: ChangePage) -> list[int]:
    return [c.change_id for c in page.changes]


class ChangeLogContract:
    async def test_an_empty_log_has_nothing_and_no_id(self, logged: Logged) -> None:
        page = await logged.everything()

        assert (page.changes, page.pruned_through, page.last_id) == ([], 0, 0)

    async def test_each_commit_logs_the_orders_it_moved_in_id_order(self, logged: Logged) -> None:
        await logged.write(created("o-2"), created("o-1"))
        await logged.write(moved("o-1", 2, PAID), moved("o-1", 3, SHIPPED), created("o-3"))

        page = await logged.everything()

        # One change per order and commit, the furthest; within a commit in order_id order.
        assert seen(page.changes) == [
            ("o-1", 1, "CREATED"),
            ("o-2", 1, "CREATED"),
            ("o-1", 3, "SHIPPED"),
            ("o-3", 1, "CREATED"),
        ]
        assert ids(page) == sorted(set(ids(page))) and ids(page)[0] >= 1
        assert page.last_id == ids(page)[-1]
        assert page.pruned_through == 0
        assert page.changes[2].view.last_event_id == "o-1/event-3"

    async def test_a_commit_that_moves_no_order_logs_nothing(self, logged: Logged) -> None:
        await logged.write(created("o-1"), moved("o-1", 2, PAID))
        before = await logged.everything()

        await logged.write(created("o-1"), moved("o-1", 2, PAID))  # redelivered
        await logged.write(moved("o-2", 3, PAID))  # a gap: stashed, no view yet

        assert await logged.everything() == before

    async def test_pages_hold_the_ids_after_and_up_to_in_order(self, logged: Logged) -> None:
        await logged.write(*(created(f"o-{n}") for n in range(1, 7)))
        every = ids(await logged.everything())

        first = await logged.log.page(0, ALL, EVERYTHING, 2)
        rest = await logged.log.page(ids(first)[-1], ALL, EVERYTHING, 2)
        bounded = await logged.log.page(every[1], every[4], EVERYTHING, ALL)

        assert ids(first) == every[:2]
        assert ids(rest) == every[2:4]
        assert ids(bounded) == every[2:5]
        assert seen(bounded.changes) == [("o-3", 1, "CREATED"), ("o-4", 1, "CREATED"),
                                         ("o-5", 1, "CREATED")]  # fmt: skip
        assert bounded.last_id == every[-1]  # the head, whatever the page's bounds
        assert (await logged.log.page(every[-1], ALL, EVERYTHING, ALL)).changes == []

    async def test_filters_pick_by_order_customer_and_status(self, logged: Logged) -> None:
        await logged.write(created("o-1", "alice"), created("o-2", "bob"), created("o-3", "alice"))
        await logged.write(moved("o-1", 2, PAID), moved("o-2", 2, PAID))
        await logged.write(moved("o-1", 3, SHIPPED))

        async def matching(filter_: ChangeFilter) -> list[tuple[str, int, str]]:
            return seen((await logged.log.page(0, ALL, filter_, ALL)).changes)

        assert await matching(ChangeFilter(order_id="o-1")) == [
            ("o-1", 1, "CREATED"), ("o-1", 2, "PAID"), ("o-1", 3, "SHIPPED"),
        ]  # fmt: skip
        assert await matching(ChangeFilter(customer_id="bob")) == [
            ("o-2", 1, "CREATED"), ("o-2", 2, "PAID"),
        ]  # fmt: skip
        assert await matching(ChangeFilter(statuses=frozenset({PAID, SHIPPED}))) == [
            ("o-1", 2, "PAID"), ("o-2", 2, "PAID"), ("o-1", 3, "SHIPPED"),
        ]  # fmt: skip
        both = ChangeFilter(customer_id="alice", statuses=frozenset({PAID}))
        assert await matching(both) == [("o-1", 2, "PAID")]
        assert await matching(ChangeFilter(order_id="o-9")) == []
        limited = await logged.log.page(0, ALL, ChangeFilter(customer_id="alice"), 2)
        assert seen(limited.changes) == [("o-1", 1, "CREATED"), ("o-3", 1, "CREATED")]

    async def test_prune_deletes_the_old_changes_and_marks_how_far(self, logged: Logged) -> None:
        await logged.write(created("o-1"), created("o-2"))
        await logged.age(3600)
        await logged.write(moved("o-1", 2, PAID))
        old = ids(await logged.everything())[:2]

        assert await logged.log.prune(1800) == 2

        page = await logged.everything()
        assert seen(page.changes) == [("o-1", 2, "PAID")]
        assert page.pruned_through == old[-1]
        assert page.last_id == ids(page)[-1]
        assert await logged.log.prune(1800) == 0
        assert (await logged.everything()).pruned_through == old[-1]  # never moves back

    async def test_after_pruning_everything_the_ids_go_on(self, logged: Logged) -> None:
        await logged.write(created("o-1"))
        await logged.age(3600)
        assert await logged.log.prune(60) == 1
        emptied = await logged.everything()

        await logged.write(moved("o-1", 2, PAID))

        page = await logged.everything()
        assert emptied.changes == [] and emptied.last_id == emptied.pruned_through >= 1
        assert ids(page) == [page.last_id] and page.last_id > emptied.last_id
        assert page.pruned_through == emptied.pruned_through

    async def test_young_changes_are_kept(self, logged: Logged) -> None:
        await logged.write(created("o-1"))

        assert await logged.log.prune(3600) == 0
        assert seen((await logged.everything()).changes) == [("o-1", 1, "CREATED")]


class ChangeLogOutageContract:
    """Provide a fixture `unreachable`: a log whose store cannot be reached. Reading a page is
    `Unavailable` (the stream answers 503); so is pruning (the feed logs it, prunes later)."""

    @pytest.mark.parametrize(
        "call",
        [lambda log: log.page(0, ALL, EVERYTHING, 10), lambda log: log.prune(60)],
        ids=["page", "prune"],
    )
    async def test_each_call_is_unavailable(
        self, unreachable: ChangeLog, call: Callable[[ChangeLog], Awaitable[object]]
    ) -> None:
        with pytest.raises(Unavailable):
            await call(unreachable)
