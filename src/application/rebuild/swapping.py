"""The end of a blue/green rebuild, and how its first replay runs in another process."""

from __future__ import annotations

from collections.abc import Mapping

from loguru import logger

from application.rebuild.errors import RebuildCancelled, RebuildFailed, SwapContended
from application.rebuild.ports import BulkReplay, ShadowViews
from application.rebuild.replaying import Offsets, RebuildRun, Replayer, positions_after_replay


class LiveMoved(Exception):
    def __init__(self, live: Offsets) -> None:
        super().__init__(f"live positions moved to {live}")
        self.live = live


async def swap(
    shadow: ShadowViews, replay: Replayer, run: RebuildRun, positions: Offsets, attempts: int
) -> None:
    """Swap once the live positions, under the swap's locks, are the replay's.

    They are, unless worker processes other than this one consume too: then the swap lets go
    of its locks, replays what they wrote meanwhile and tries again; the last attempt replays
    under the locks (readers wait that long).
    """
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            async with shadow.swap() as session:
                live = await session.live_positions()
                if not last and positions_after_replay(positions, live) != positions:
                    raise LiveMoved(live)
                positions = await replay.between(positions, live)
                await session.swap(positions, run.rebuild.rebuild_id)
            return
        except LiveMoved as moved:
            logger.info("swap attempt {}: another worker process moved on, catching up", attempt)
            positions = await replay.between(positions, moved.live)
        except SwapContended as contended:
            if last:
                raise
            logger.warning("swap attempt {} contended, trying again: {}", attempt, contended)


async def replay_in_bulk(
    bulk: BulkReplay, run: RebuildRun, start: Offsets, until: Mapping[int, int]
) -> Offsets:
    """`start` to `until` through `bulk`, with the run's progress and cancel."""

    def progress(replayed: int) -> None:
        run.events_replayed = replayed

    def cancelled() -> bool:
        try:
            run.check()
        except (RebuildCancelled, RebuildFailed):
            return True
        return False

    await bulk(start, until, progress, cancelled)
    run.check()  # when it stopped for a cancel, say so
    return positions_after_replay(start, until)
