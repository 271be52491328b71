"""The change hub and streams: fan-out with filters, backlog then live without gaps or repeats,
heartbeats, a slow client dropped, a cap on subscribers."""

from __future__ import annotations

import asyncio

import pytest

from application.change_hub import ChangeHub, SubscribersFull
from application.change_stream import OpenChangeStream, ResumeGone
from application.errors import InvalidParameter, Unavailable
from application.ports import Change, ChangeFilter, ChangeLog, ChangePage
from domain.events import OrderStatus
from tests.unit.test_freshness import view

pytestmark = pytest.mark.unit


class FakeLog:
    def __init__(self, changes: list[Change], pruned_through: int = 0) -> None:
        self.changes = changes
        self.pruned_through = pruned_through
        self.pages = 0

    async def page(self, after: int, until: int, filter_: ChangeFilter, limit: int) -> ChangePage:
        self.pages += 1
        found = [
            c for c in self.changes if after < c.change_id <= until and filter_.matches(c.view)
        ]
        last = max((c.change_id for c in self.changes), default=0)
        return ChangePage(found[:limit], self.pruned_through, last)

    async def prune(self, older_than_seconds: float) -> int:
        return 0


def changes(first: int, last: int, order: str = "o") -> list[Change]:
    return [Change(i, view(f"{order}-{i % 3}", i)) for i in range(first, last + 1)]


async def ids_of(stream: object, count: int) -> list[int]:
    got: list[int] = []
    async with asyncio.timeout(2):
        async for batch in stream:  # type: ignore[attr-defined]
            got += [d.change.change_id for d in batch or ()]
            if len(got) >= count:
                return got
    return got


async def test_a_resume_reads_the_backlog_then_the_live_changes_once() -> None:
    history = changes(1, 10)
    hub, log = ChangeHub(), FakeLog(history)
    hub.publish(history, {})
    stream = await OpenChangeStream(hub, log, page_size=3)(ChangeFilter(), last_event_id=4)
    more = changes(11, 13)
    log.changes += more
    hub.publish(more, {})
    assert await ids_of(stream, 9) == list(range(5, 14))
    assert log.pages == 2  # 5-7, 8-10 (a short page ends the backlog)


async def test_filters_pick_the_changes_they_match() -> None:
    hub = ChangeHub()
    hub.publish([], {})
    stream = await OpenChangeStream(hub, FakeLog([]))(
        ChangeFilter(statuses=frozenset({OrderStatus.PAID})), None
    )
    paid = Change(2, view("o-2", 2, OrderStatus.PAID))
    hub.publish([Change(1, view("o-1", 1)), paid, Change(3, view("o-3", 1))], {})
    hub.publish([Change(4, view("o-4", 2, OrderStatus.PAID))], {})
    assert await ids_of(stream, 2) == [2, 4]


async def test_a_resume_past_the_retention_is_gone_and_one_ahead_is_invalid() -> None:
    hub, log = ChangeHub(), FakeLog(changes(5, 9), pruned_through=4)
    hub.publish([], {})
    open_stream = OpenChangeStream(hub, log)
    with pytest.raises(ResumeGone, match="GET /orders"):
        await open_stream(ChangeFilter(), 3)
    with pytest.raises(InvalidParameter) as ahead:
        await open_stream(ChangeFilter(), 10)
    assert ahead.value.name == "Last-Event-ID"
    assert hub.subscribers == 0  # a refused stream holds no subscription
    await open_stream(ChangeFilter(), 4)  # nothing after 4 was pruned


async def test_a_slow_client_is_dropped_not_buffered() -> None:
    hub = ChangeHub(max_queued=5)
    hub.publish([], {})
    stream = await OpenChangeStream(hub, FakeLog([]))(ChangeFilter(), None)
    hub.publish(changes(1, 4), {})
    hub.publish(changes(5, 8), {})  # 8 > 5: this client is too far behind
    assert stream.dropped and hub.subscribers == 0
    assert await ids_of(stream, 100) == []  # the stream ends; the client resumes from the log


async def test_heartbeats_while_nothing_changes() -> None:
    hub = ChangeHub()
    hub.publish([], {})
    stream = await OpenChangeStream(hub, FakeLog([]), heartbeat_seconds=0.01)(ChangeFilter(), None)
    beats = 0
    async for batch in stream:
        assert batch is None
        beats += 1
        if beats == 3:
            break
    stream.close()
    assert hub.subscribers == 0


async def test_no_stream_opens_before_the_feed_has_read_where_the_log_ends() -> None:
    hub = ChangeHub()
    with pytest.raises(Unavailable):
        await OpenChangeStream(hub, FakeLog([]))(ChangeFilter(), 5)
    hub.publish([], {})
    await OpenChangeStream(hub, FakeLog([]))(ChangeFilter(), None)


async def test_subscribers_past_the_cap_are_refused() -> None:
    hub = ChangeHub(max_subscribers=2)
    hub.subscribe(ChangeFilter())
    hub.subscribe(ChangeFilter())
    with pytest.raises(SubscribersFull):
        hub.subscribe(ChangeFilter())


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    log: ChangeLog = FakeLog([])
    del log
