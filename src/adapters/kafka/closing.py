"""Closing aiokafka clients without losing a cancellation of the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable


async def close_keeping_cancellation(closing: Awaitable[None]) -> None:
    """Await an aiokafka `stop()`/`close()` in a task of its own.

    Their close paths cancel aiokafka's own background tasks and await them under
    `suppress(CancelledError)`. A cancellation of the *calling* task that lands at that moment
    is suppressed with them, and the caller carries on as if it had never been cancelled (a
    test's cancelled producer loop kept producing until CI timed out). Shielded, the close
    runs to its end in its own task and the caller's cancellation reaches the caller after it.
    """
    task = asyncio.ensure_future(closing)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait({task})  # flush and close all the same, then go on cancelling
        raise
