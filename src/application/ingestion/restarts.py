"""The worker of `streamview run`: started again after a failure, while the API of the same
process goes on serving reads."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from loguru import logger

from application.consuming import WorkerStatus
from application.ingestion.worker import EXIT_FAILED
from application.ports import ConsumerState

# After 1 s, 2 s, 4 s ... up to a minute.
RESTART_FIRST_DELAY_SECONDS = 1.0
RESTART_MAX_DELAY_SECONDS = 60.0

RunOnce = Callable[[asyncio.Event], Awaitable[int]]  # one run of a new worker: its exit code


async def run_restarting(
    run_once: RunOnce,
    status: WorkerStatus,
    stopping: asyncio.Event,
    first_delay: float = RESTART_FIRST_DELAY_SECONDS,
    max_delay: float = RESTART_MAX_DELAY_SECONDS,
) -> int:
    """Run the worker until `stopping` is set; after a failure start it again, with a pause
    that doubles up to `max_delay` (back to `first_delay` once a run lasted `max_delay`).
    Meanwhile the consumer's state is FAILED, in /lags and in /health/ready. Any other end
    (stopped on request; a schema this build does not know) ends it, with that exit code."""
    delay = first_delay
    while True:
        started = time.monotonic()
        try:
            code = await run_once(stopping)
        except Exception:  # before the consume loop: it logs and returns EXIT_FAILED itself
            logger.exception("worker failed")
            code = EXIT_FAILED
        if code != EXIT_FAILED or stopping.is_set():
            return code
        status.state = ConsumerState.FAILED
        if time.monotonic() - started >= max_delay:
            delay = first_delay
        logger.bind(restartInSeconds=delay).error("worker failed; restarting in {:g}s", delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(max_delay, delay * 2)
