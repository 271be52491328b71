"""Use case: a change stream of the orders view, from now or resumed after a Last-Event-ID:
the change log's backlog first (read in pages), then the hub's live batches, without gaps or
repeats (the hub's batches are filtered by id against what the backlog gave)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from application.change_hub import ChangeHub, Delivered, Subscription
from application.errors import ApplicationError, InvalidParameter, Unavailable
from application.ports import Change, ChangeFilter, ChangeLog, ChangePage


class ResumeGone(ApplicationError):
    """A resume from before the retention: changes after that id have been pruned."""


class ChangeStream:
    """One client's stream: batches of Delivered in id order, None for a heartbeat."""

    def __init__(
        self,
        subscription: Subscription,
        log: ChangeLog,
        render: Callable[[Change], Any],
        cursor: int,
        backlog: ChangePage | None,
        heartbeat_seconds: float,
        page_size: int,
    ) -> None:
        self._subscription = subscription
        self._log = log
        self._render = render
        self._cursor = cursor
        self._backlog = backlog
        self._heartbeat = heartbeat_seconds
        self._page_size = page_size

    @property
    def dropped(self) -> bool:
        return self._subscription.dropped

    def close(self) -> None:
        self._subscription.close()

    async def __aiter__(self) -> AsyncIterator[list[Delivered] | None]:
        try:
            async for batch in self._batches():
                yield batch
        finally:
            self.close()

    async def _batches(self) -> AsyncIterator[list[Delivered] | None]:
        until = self._subscription.start
        page = self._backlog
        while page is not None and self._cursor < until:
            if page.pruned_through > self._cursor:
                raise ResumeGone(f"changes after {self._cursor} were pruned meanwhile")
            if page.changes:
                self._cursor = page.changes[-1].change_id
                yield [Delivered(c, self._render(c)) for c in page.changes]
            if len(page.changes) < self._page_size or self._cursor >= until:
                break
            page = await self._log.page(
                self._cursor, until, self._subscription.filter, self._page_size
            )
        self._cursor = max(self._cursor, until)
        while not self._subscription.dropped:
            batch = await self._subscription.next_batch(self._heartbeat)
            if batch is None:
                if not self._subscription.dropped:
                    yield None
                continue
            fresh = [d for d in batch if d.change.change_id > self._cursor]
            if fresh:
                self._cursor = fresh[-1].change.change_id
                yield fresh


class OpenChangeStream:
    """Use case: a change stream from now, or resumed after `last_event_id` with nothing
    missed and nothing repeated (ResumeGone when the log no longer holds what followed)."""

    def __init__(
        self, hub: ChangeHub, log: ChangeLog, heartbeat_seconds: float = 15.0, page_size: int = 1000
    ) -> None:
        self._hub = hub
        self._log = log
        self._heartbeat = heartbeat_seconds
        self._page_size = page_size

    async def __call__(self, filter_: ChangeFilter, last_event_id: int | None) -> ChangeStream:
        if not self._hub.positions_known:
            # Until the feed has read where the log ends, "from now" is not known yet.
            raise Unavailable("the change feed of this process is starting")
        # Subscribed first: what commits while the backlog is read queues up behind it.
        subscription = self._hub.subscribe(filter_)
        try:
            backlog = None
            cursor = subscription.start
            if last_event_id is not None:
                cursor = last_event_id
                backlog = await self._log.page(
                    last_event_id, subscription.start, filter_, self._page_size
                )
                if last_event_id > backlog.last_id:
                    raise InvalidParameter(
                        "Last-Event-ID", f"{last_event_id} is ahead of the change log"
                    )
                if backlog.pruned_through > last_event_id:
                    raise ResumeGone(
                        f"the changes after event {last_event_id} are past the retention and "
                        "were pruned: read the orders again (GET /orders) and subscribe "
                        "without Last-Event-ID"
                    )
        except BaseException:
            subscription.close()
            raise
        return ChangeStream(
            subscription,
            self._log,
            self._hub.render,
            cursor,
            backlog,
            self._heartbeat,
            self._page_size,
        )
