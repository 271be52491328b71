"""The contract of the ViewStore and OrderReader ports: every adapter passes it unchanged.

Subclass `ViewStoreContract` (in a `test_*.py` module) and provide an async fixture `store`
that yields a new, empty store implementing both ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import pytest

from application.ports import BatchWrite, OrderReader, Position, ProjectionTransaction, ViewStore
from domain.batch import BatchResult, BatchTally, OrderSnapshot, apply_batch
from tests.contracts.view_store_data import T0, created, envelope, line, status_changed, view
from tests.contracts.view_store_listing import ListingContract


class Store(ViewStore, OrderReader, Protocol):
    pass


def batch(views=(), lines=(), stashed=(), released=()) -> BatchResult:  # type: ignore[no-untyped-def]
    return BatchResult(list(views), list(lines), list(stashed), list(released), BatchTally())


async def save(
    store: Store, result: BatchResult, positions: Sequence[Position] = (), group: str = "g"
) -> None:
    async def work(tx: ProjectionTransaction) -> None:
        await tx.save(BatchWrite(group, result, tuple(positions)))

    await store.in_transaction(work)


async def load(store: Store, *order_ids: str) -> dict[str, OrderSnapshot]:
    async def work(tx: ProjectionTransaction) -> dict[str, OrderSnapshot]:
        return await tx.load(order_ids)

    return await store.in_transaction(work)


class ViewStoreContract(ListingContract):
    async def test_load_leaves_out_orders_it_does_not_know(self, store: Store) -> None:
        await save(store, batch(views=[view("o-1")]))

        assert await load(store, "o-1", "nobody") == {"o-1": OrderSnapshot(view("o-1"))}

    async def test_saved_views_load_back_equal(self, store: Store) -> None:
        views = [view("o-1", 3, gross_total=Decimal("1234567890123.45")), view("o-2", 1)]

        await save(store, batch(views=views))

        loaded = await load(store, "o-1", "o-2")
        assert {order_id: s.view for order_id, s in loaded.items()} == {
            "o-1": views[0],
            "o-2": views[1],
        }
        assert all(s.stash == {} for s in loaded.values())

    async def test_a_view_never_moves_backwards(self, store: Store) -> None:
        await save(store, batch(views=[view("o-1", 3, status="PAID")]))

        await save(store, batch(views=[view("o-1", 2, status="CANCELLED")]))
        await save(store, batch(views=[view("o-1", 3, status="SHIPPED")]))

        detail = await store.get_order("o-1")
        assert detail is not None
        assert (detail.view.last_event_sequence, detail.view.status) == (3, "PAID")

        await save(store, batch(views=[view("o-1", 4, status="DELIVERED")]))
        moved = await store.get_order("o-1")
        assert moved is not None
        assert moved.view == view("o-1", 4, status="DELIVERED")

    async def test_lines_are_written_once_and_read_in_line_order(self, store: Store) -> None:
        lines = [line("o-1", 3), line("o-1", 1), line("o-1", 2)]
        await save(store, batch(views=[view("o-1", 2, lines=3)], lines=lines))

        await save(store, batch(lines=[line("o-1", 2, qty=99)]))

        detail = await store.get_order("o-1")
        assert detail is not None
        assert detail.lines == (line("o-1", 1), line("o-1", 2), line("o-1", 3))

    async def test_an_order_without_lines_reads_with_none(self, store: Store) -> None:
        await save(store, batch(views=[view("o-1", lines=0)]))

        detail = await store.get_order("o-1")

        assert detail is not None
        assert (detail.view, detail.lines) == (view("o-1", lines=0), ())

    async def test_an_unknown_order_reads_as_none(self, store: Store) -> None:
        assert await store.get_order("nobody") is None

    async def test_stashed_events_load_back_until_released(self, store: Store) -> None:
        held = [envelope("o-1", 3), envelope("o-1", 5), envelope("o-2", 2)]
        await save(store, batch(views=[view("o-1", 1)], stashed=held))

        assert await store.stashed_count() == 3
        loaded = await load(store, "o-1", "o-2")
        assert loaded["o-1"] == OrderSnapshot(view("o-1", 1), {3: held[0], 5: held[1]})
        assert loaded["o-2"] == OrderSnapshot(None, {2: held[2]})

        await save(store, batch(released=[("o-1", 3), ("o-2", 2)]))

        assert await store.stashed_count() == 1
        assert await load(store, "o-1", "o-2") == {
            "o-1": OrderSnapshot(view("o-1", 1), {5: held[1]})
        }

    async def test_positions_only_move_forwards(self, store: Store) -> None:
        await save(store, batch(), [Position("t", 0, 10), Position("t", 1, 4)])
        await save(store, batch(), [Position("t", 0, 7), Position("t", 1, 5)])
        await save(store, batch(), [Position("t", 0, 99)], group="other")
        await save(store, batch(), [Position("u", 0, 1)])

        assert await store.positions("g", "t") == {0: 10, 1: 5}
        assert await store.positions("other", "t") == {0: 99}
        assert await store.positions("g", "nothing") == {}

    async def test_in_transaction_returns_what_the_work_returns(self, store: Store) -> None:
        async def work(tx: ProjectionTransaction) -> str:
            return "done"

        assert await store.in_transaction(work) == "done"

    async def test_work_that_fails_after_saving_persists_nothing(self, store: Store) -> None:
        await save(
            store,
            batch(views=[view("o-1", 1)], lines=[line("o-1", 1)], stashed=[envelope("o-1", 3)]),
            [Position("t", 0, 5)],
        )
        before = (await store.get_order("o-1"), await load(store, "o-1", "o-2"))

        async def work(tx: ProjectionTransaction) -> None:
            everything = batch(
                views=[view("o-1", 2, lines=2), view("o-2", 1)],
                lines=[line("o-1", 2), line("o-2", 1)],
                stashed=[envelope("o-2", 4)],
                released=[("o-1", 3)],
            )
            await tx.save(BatchWrite("g", everything, (Position("t", 0, 9),)))
            raise RuntimeError("the batch failed after writing")

        with pytest.raises(RuntimeError, match="after writing"):
            await store.in_transaction(work)

        assert (await store.get_order("o-1"), await load(store, "o-1", "o-2")) == before
        assert await store.get_order("o-2") is None
        assert await store.positions("g", "t") == {0: 5}
        assert await store.stashed_count() == 1

    async def test_batches_projected_through_the_domain_drain_the_stash(self, store: Store) -> None:
        async def project(*envelopes) -> BatchResult:  # type: ignore[no-untyped-def]
            async def work(tx: ProjectionTransaction) -> BatchResult:
                result = apply_batch(await tx.load({e.order_id for e in envelopes}), envelopes)
                await tx.save(BatchWrite("g", result, ()))
                return result

            return await store.in_transaction(work)

        await project(created("o-1", qty=2, price="9.99", tax="0.23"), status_changed("o-1", 3))
        assert await store.stashed_count() == 1

        await project(status_changed("o-1", 2, "PAID"))

        detail = await store.get_order("o-1")
        assert detail is not None
        assert (detail.view.last_event_sequence, detail.view.status) == (3, "SHIPPED")
        assert (detail.view.total_net, detail.view.total_gross) == (
            Decimal("19.98"),
            Decimal("24.58"),
        )
        assert detail.view.updated_at > T0
        assert [x.line_no for x in detail.lines] == [1]
        assert await store.stashed_count() == 0
