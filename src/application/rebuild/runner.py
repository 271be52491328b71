"""Use case: execute one claimed rebuild, blue/green (default) or in place (downtime).

Blue/green: replay the topic from offset 0 into shadow tables through the same projection
use case the live worker uses, catch up toward the live worker's positions, pause the live
worker, replay the last records, then swap tables and positions in one transaction. Until
that commit the live views are never written, so a cancel or a failure only drops the shadow
tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import msgspec
from loguru import logger

from application.ports import ViewStore
from application.projecting import Project
from application.rebuild.errors import RebuildCancelled, RebuildFailed
from application.rebuild.model import Rebuild, RebuildMode, RebuildPhase, RebuildState
from application.rebuild.ports import BulkReplay, LiveWorker, OpenReplay, RebuildLog, ShadowViews
from application.rebuild.recording import PhaseClock, RunRecorder
from application.rebuild.replaying import Offsets, RebuildRun, Replayer
from application.rebuild.swapping import replay_in_bulk, swap


class RebuildSettings(msgspec.Struct, frozen=True):
    consumer_group: str
    topic: str
    heartbeat_seconds: float = 1.0
    # Pause the live worker once the replay is at most this many records behind it.
    catch_up_slack: int = 2000
    poll_seconds: float = 0.2
    # Give up when the replay waits this long for a live worker that does not move.
    live_stall_seconds: float = 60.0
    # Tries at recording a failure in a store that may be down itself (about 30 s in all).
    record_attempts: int = 10
    # Partitions replayed side by side (each lane holds a database connection while it writes).
    replay_lanes: int = 3
    swap_attempts: int = 5


class RunRebuild:
    def __init__(
        self,
        log: RebuildLog,
        shadow: ShadowViews,
        open_replay: OpenReplay,
        project_shadow: Project,
        project_live: Project,
        live_store: ViewStore,
        live_worker: LiveWorker,
        settings: RebuildSettings,
        bulk_replay: BulkReplay | None = None,
    ) -> None:
        self._log = log
        self._shadow = shadow
        self._open_replay = open_replay
        self._project = {RebuildMode.BLUE_GREEN: project_shadow, RebuildMode.INPLACE: project_live}
        self._store = live_store
        self._live = live_worker
        self._s = settings
        self._bulk = bulk_replay  # None: in this process, with the rest
        self._recorder = RunRecorder(log, settings.heartbeat_seconds, settings.record_attempts)

    async def __call__(self, rebuild: Rebuild) -> RebuildState:
        run = RebuildRun(rebuild)
        log = logger.bind(rebuildId=rebuild.rebuild_id, mode=rebuild.mode.value)
        heartbeat = asyncio.create_task(self._recorder.heartbeat(run))
        started = time.monotonic()
        try:
            if rebuild.mode is RebuildMode.INPLACE:
                await self._inplace(run, PhaseClock(log))
            else:
                await self._blue_green(run, PhaseClock(log))
            log.bind(seconds=round(time.monotonic() - started, 2)).info(
                "rebuild succeeded after replaying {} records", run.events_replayed
            )
            return RebuildState.SUCCEEDED
        except RebuildCancelled:
            log.info("rebuild cancelled; the live views are untouched")
            await self._recorder.end(run, RebuildState.CANCELLED)
            return RebuildState.CANCELLED
        except asyncio.CancelledError:  # the worker is shutting down
            await self._recorder.end(run, RebuildState.FAILED, "the worker running it stopped")
            raise
        except Exception as error:
            log.opt(exception=error).error("rebuild failed: {}", error)
            await self._recorder.end(run, RebuildState.FAILED, f"{type(error).__name__}: {error}")
            return RebuildState.FAILED
        finally:
            heartbeat.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._shadow.drop())  # after a swap: nothing left to drop

    async def _blue_green(self, run: RebuildRun, phases: PhaseClock) -> None:
        await self._shadow.create()
        async with self._open_replay() as topic:
            replay = Replayer(topic, self._project[run.rebuild.mode], run, self._s.replay_lanes)
            ends = await replay.targets()
            await self._log.heartbeat(run.snapshot())  # show the targets at once
            start = dict.fromkeys(ends, 0)
            if self._bulk is None:
                positions = await replay.between(start, ends)
            else:
                positions = await replay_in_bulk(self._bulk, run, start, ends)
            phases.done("replayed to the end offsets of the start", run)
            run.phase = RebuildPhase.INDEXING
            await self._shadow.complete()
            phases.done("indexed and analyzed the shadow tables", run)
            run.phase = RebuildPhase.CATCHING_UP
            positions = await replay.catch_up(
                positions,
                self._live_positions,
                self._s.catch_up_slack,
                self._s.poll_seconds,
                self._s.live_stall_seconds,
            )
            phases.done("caught up with the live worker", run)
            run.check()
            if not await self._log.move(run.snapshot(), RebuildState.SWAPPING):
                raise RebuildCancelled
            run.cancellable, run.phase = False, RebuildPhase.SWAPPING
            async with self._live.paused():
                positions = await replay.between(positions, await self._live_positions())
                await swap(self._shadow, replay, run, positions, self._s.swap_attempts)
            phases.done("swapped (the live worker was paused this long)", run)
        run.phase = RebuildPhase.DONE

    async def _inplace(self, run: RebuildRun, phases: PhaseClock) -> None:
        # The live worker seeks to the stored positions after this, whatever happened here.
        async with self._live.paused(reposition=True), self._open_replay() as topic:
            replay = Replayer(topic, self._project[run.rebuild.mode], run, self._s.replay_lanes)
            live, ends = await self._live_positions(), await replay.targets()
            run.targets = {p: live.get(p, 0) for p in ends}  # where the live worker stopped
            await self._log.heartbeat(run.snapshot())
            await self._shadow.clear_live()
            run.cancellable = False  # the views are being rewritten: cancelling saves nothing
            await replay.between({}, run.targets)
            phases.done("replayed into the cleared live views", run)
            run.phase = RebuildPhase.DONE
            if not await self._log.move(run.snapshot(), RebuildState.SUCCEEDED):
                raise RebuildFailed("the rebuild record could not be marked SUCCEEDED")

    async def _live_positions(self) -> Offsets:
        return await self._store.positions(self._s.consumer_group, self._s.topic)
