"""A rebuild's first, long replay in a child process (implements BulkReplay).

Replaying is CPU work in Python. Done on the worker's event loop it would take that loop from
the live worker and, under `streamview run`, from the API: reads would queue for seconds. In
a child process (lower scheduling priority: `nice`) it takes what CPU is left; the parent
keeps the rest of the rebuild (catch-up, pause, swap), which replays little.

The child builds its own container (entrypoints.container) from the same settings and uses
the same providers as the in-process replay (entrypoints.wiring.rebuilds): the shadow tables'
projection and the topic replay.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

PROGRESS_SECONDS = 0.2


class ReplayProcessFailed(RuntimeError):
    pass


class ReplayInChildProcess:
    def __init__(self, settings: Mapping[str, Any], lanes: int = 3, niceness: int = 10) -> None:
        self._settings = dict(settings)
        self._lanes = lanes
        self._niceness = niceness

    async def __call__(
        self,
        start: Mapping[int, int],
        until: Mapping[int, int],
        progress: Callable[[int], None],
        cancelled: Callable[[], bool],
    ) -> None:
        context = multiprocessing.get_context("spawn")  # nothing of this process is copied
        receiving, sending = context.Pipe(duplex=False)
        arguments = (self._settings, dict(start), dict(until), self._lanes, self._niceness)
        child = context.Process(
            target=_child, args=(*arguments, sending), name="streamview-replay", daemon=True
        )
        child.start()
        sending.close()
        try:
            while not cancelled():
                try:
                    while receiving.poll():
                        kind, value = receiving.recv()
                        if kind == "error":
                            raise ReplayProcessFailed(f"the replay process failed: {value}")
                        progress(value)
                        if kind == "done":
                            return
                except EOFError:  # it ended without a word
                    raise ReplayProcessFailed(
                        f"the replay process ended with exit code {child.exitcode}"
                    ) from None
                await asyncio.sleep(0.1)
        finally:
            if child.is_alive():
                child.terminate()  # its transaction in flight rolls back
            await asyncio.to_thread(child.join, 10)
            receiving.close()


def _child(
    settings: dict[str, Any],
    start: dict[int, int],
    until: dict[int, int],
    lanes: int,
    niceness: int,
    sending: Connection,
) -> None:
    os.nice(niceness)
    try:
        asyncio.run(_replay(settings, start, until, lanes, sending))
    except BaseException as error:
        sending.send(("error", f"{type(error).__name__}: {error}"))
        raise SystemExit(1) from None
    finally:
        sending.close()


async def _replay(
    settings: dict[str, Any],
    start: dict[int, int],
    until: dict[int, int],
    lanes: int,
    sending: Connection,
) -> None:
    from application.rebuild.model import Rebuild, RebuildMode
    from application.rebuild.replaying import RebuildRun, Replayer
    from entrypoints.container import Container
    from entrypoints.logging import configure_logging
    from entrypoints.settings import Settings
    from entrypoints.wiring.lifetimes import WorkerResource, holding

    values = Settings(**settings)  # the parent's, development secrets included
    configure_logging(values.log_format, values.log_level)
    container = Container()
    container.config.from_dict(values.as_dict())
    async with holding(container, WorkerResource):  # the worker's pool: the shadow tables'
        await container.infrastructure.postgres_pool().wait()
        run = RebuildRun(
            Rebuild(rebuild_id="-", mode=RebuildMode.BLUE_GREEN, requested_at=datetime.now(UTC))
        )
        rebuilds = container.rebuilds
        async with rebuilds.open_topic_replay()() as topic:
            replayer = Replayer(topic, rebuilds.shadow_projection(), run, lanes)
            replaying = asyncio.create_task(replayer.between(start, until))
            while not replaying.done():
                sending.send(("progress", run.events_replayed))
                await asyncio.wait({replaying}, timeout=PROGRESS_SECONDS)
            replaying.result()
        sending.send(("done", run.events_replayed))
