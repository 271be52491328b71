"""The change hub and streams: fan-out with filters, backlog then live without gaps or repeats,
heartbeats, a slow client dropped, a cap on subscribers."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.change_log import MemoryChangeLog
from application.change_hub import ChangeHub, SubscribersFull
from application.change_stream import OpenChangeStream, ResumeGone
from application.errors import InvalidParameter, Unavailable
from application.ports import Change, ChangeFilter, ChangePage
from domain.events import OrderStatus
from tests.unit.test_freshness import view

pytestmark = pytest.mark.unit


class CountingLog(MemoryChangeLog):
    """The in-memory change log, counting the pages read from it."""

    def __init__(self) -> None:
        super().__init__()
        self.pages = 0

    async def page(self, after: int, until: int, filter_: ChangeFilter, limit: int) -> ChangePage:
        self.pages += 1
        return await super().page(after, until, filter_, limit)


def logged(log: MemoryChangeLog, count: int, order: str = "o") -> list[Change]:
    """`count` more changes, logged: ids go on from the log's last one."""
    first = log.last_id + 1
    return [log.record([view(f"{order}-{i % 3}", i)])[0] for i in range(first, first + count)]


async def ids_of(stream: object, count: int) -> list[int]:
    got: list[int] = []
    async with asyncio.timeout(2):
        async for batch in stream:  # type: ignore[attr-defined]
            got += [d.change.change_id for d in batch or ()]
            if len(got) >= count:
                return got
    return got


async def test_a_resume_reads_the_backlog_then_the_live_changes_once() -> None:
    hub, log = ChangeHub(), CountingLog()
    history = logged(log, 10)
    hub.publish(history, {})
    stream = await OpenChangeStream(hub, log, page_size=3)(ChangeFilter(), last_event_id=4)
    more = logged(log, 3)
    hub.publish(more, {})
    assert await ids_of(stream, 9) == list(range(5, 14))
    assert log.pages == 2  # 5-7, 8-10 (a short page ends the backlog)


async def test_filters_pick_the_changes_they_match() -> None:
    hub = ChangeHub()
    hub.publish([], {})
    stream = await OpenChangeStream(hub, MemoryChangeLog())(
        ChangeFilter(statuses=frozenset({OrderStatus.PAID})), None
    )
    paid = Change(2, view("o-2", 2, OrderStatus.PAID))
    hub.publish([Change(1, view("o-1", 1)), paid, Change(3, view("o-3", 1))], {})
    hub.publish([Change(4, view("o-4", 2, OrderStatus.PAID))], {})
    assert await ids_of(stream, 2) == [2, 4]


async def test_a_resume_past_the_retention_is_gone_and_one_ahead_is_invalid() -> None:
    hub, log = ChangeHub(), MemoryChangeLog()
    logged(log, 4)
    log.age(3600)
    logged(log, 5)
    assert await log.prune(60) == 4  # 1-4 are gone, 5-9 kept
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
    log = MemoryChangeLog()
    stream = await OpenChangeStream(hub, log)(ChangeFilter(), None)
    hub.publish(logged(log, 4), {})
    hub.publish(logged(log, 4), {})  # 8 > 5: this client is too far behind
    assert stream.dropped and hub.subscribers == 0
    assert await ids_of(stream, 100) == []  # the stream ends; the client resumes from the log


async def test_heartbeats_while_nothing_changes() -> None:
    hub = ChangeHub()
    hub.publish([], {})
    stream = await OpenChangeStream(hub, MemoryChangeLog(), heartbeat_seconds=0.01)(
        ChangeFilter(), None
    )
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
        await OpenChangeStream(hub, MemoryChangeLog())(ChangeFilter(), 5)
    hub.publish([], {})
    await OpenChangeStream(hub, MemoryChangeLog())(ChangeFilter(), None)


async def test_subscribers_past_the_cap_are_refused() -> None:
    hub = ChangeHub(max_subscribers=2)
    hub.subscribe(ChangeFilter())
    hub.subscribe(ChangeFilter())
    with pytest.raises(SubscribersFull):
        hub.subscribe(ChangeFilter())
