"""A cancellation that lands while an aiokafka client closes must reach the caller."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from adapters.kafka.closing import close_keeping_cancellation

pytestmark = pytest.mark.unit


async def close_like_aiokafka(closed: list[str]) -> None:
    """What AIOKafkaClient.close does: cancel its own task, await it under suppress."""
    background = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    background.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await background
    closed.append("closed")


async def cancelled_while_closing(close: object) -> tuple[bool, list[str]]:
    closed: list[str] = []

    async def caller() -> None:
        await close(close_like_aiokafka(closed))  # type: ignore[operator]
        await asyncio.sleep(10)  # a caller that was not told it is cancelled goes on

    task = asyncio.create_task(caller())
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the caller now awaits the suppressed background task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 0.3)
    return task.cancelled(), closed


async def test_a_plain_await_of_such_a_close_loses_the_cancellation() -> None:
    async def plain(closing: object) -> None:
        await closing  # type: ignore[misc]

    with pytest.raises(TimeoutError):  # the caller went on to its sleep
        await cancelled_while_closing(plain)


async def test_the_caller_is_cancelled_and_the_close_still_completes() -> None:
    cancelled, closed = await cancelled_while_closing(close_keeping_cancellation)

    assert cancelled is True
    assert closed == ["closed"]


async def test_an_uncancelled_close_returns_normally() -> None:
    closed: list[str] = []

    await close_keeping_cancellation(close_like_aiokafka(closed))

    assert closed == ["closed"]
