"""One stack used by several processes at once (e.g. two pytest sessions), stopped by the last.

`stack.down(only=stack.started)` is right for a single user, but when two test sessions share
the test stack, the one that started it would stop it under the other's running tests. Here
each user holds a lease (a file naming its pid and start time) for as long as it uses the
stack; the last one to leave stops what any sharer started. Services that were already
running before the first sharer came (a developer's own `stack up`) are never stopped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.localstack.locks import file_lock
from devtools.localstack.manager import Endpoints, LocalStack
from devtools.localstack.processes import ProcessRecord, process_start_ticks


@contextmanager
def shared_stack(stack: LocalStack) -> Iterator[Endpoints]:
    """Bring the stack up (or join it) for the duration of the block."""
    state_dir = stack.config.state_dir
    leases_dir = state_dir / "leases"
    started_file = state_dir / "started-by-sharers.json"
    # A lock of its own: LocalStack.up/down take stack.lock, and flock is not re-entrant.
    lock = state_dir / "sharing.lock"
    my_lease = leases_dir / f"{os.getpid()}-{process_start_ticks(os.getpid())}"

    with file_lock(lock):
        endpoints = stack.up()
        started = _read_names(started_file) | set(stack.started)
        if started:
            started_file.write_text(json.dumps(sorted(started)))
        leases_dir.mkdir(exist_ok=True)
        my_lease.touch()
    try:
        yield endpoints
    finally:
        with file_lock(lock):
            my_lease.unlink(missing_ok=True)
            if not _live_leases(leases_dir):
                stack.down(only=_read_names(started_file))
                started_file.unlink(missing_ok=True)


def _read_names(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text()))
    except (OSError, ValueError):
        return set()


def _live_leases(leases_dir: Path) -> list[str]:
    """Leases whose process still runs; those of crashed processes are removed."""
    live = []
    for entry in os.scandir(leases_dir):
        pid, _, ticks = entry.name.partition("-")
        try:
            holder = ProcessRecord(int(pid), int(ticks), cmdline_marker="")
        except ValueError:
            holder = None
        if holder is not None and holder.is_running():
            live.append(entry.name)
        else:
            os.unlink(entry.path)
    return live
