"""Processes we started, kept in pid files and recognised again without trusting the pid alone.

A pid can be reused by an unrelated process after a reboot or a crash, so a pid file records
the process start time (from /proc) and a piece of its command line; only a process matching
all three is treated as ours. Nothing here ever looks processes up by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path


def process_start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after it.
    after_name = stat.rsplit(")", 1)[1].split()
    return int(after_name[19])


def process_cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds."""

    pid: int
    start_ticks: int
    # A string the process's command line must contain for it to still be ours.
    cmdline_marker: str
    # Where it serves (host:port), for `stack status`.
    address: str = ""

    def is_running(self) -> bool:
        if process_start_ticks(self.pid) != self.start_ticks or is_zombie(self.pid):
            return False
        cmdline = process_cmdline(self.pid)
        return cmdline is not None and self.cmdline_marker in cmdline


class PidFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, pid: int, cmdline_marker: str, address: str = "") -> ProcessRecord:
        ticks = process_start_ticks(pid)
        if ticks is None:
            raise ProcessLookupError(pid)
        record = ProcessRecord(pid, ticks, cmdline_marker, address)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(record)) + "\n")
        temporary.replace(self.path)
        return record

    def read(self) -> ProcessRecord | None:
        try:
            data = json.loads(self.path.read_text())
            return ProcessRecord(
                int(data["pid"]),
                int(data["start_ticks"]),
                str(data["cmdline_marker"]),
                str(data.get("address", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def running_process(self) -> ProcessRecord | None:
        """The recorded process if it is still the one we started; else None."""
        record = self.read()
        return record if record is not None and record.is_running() else None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def terminate(record: ProcessRecord, timeout: float) -> bool:
    """SIGTERM the process (a clean shutdown), SIGKILL after `timeout` s. True if it stopped."""
    if not record.is_running():
        return True
    os.kill(record.pid, signal.SIGTERM)
    if wait_for_exit(record, timeout):
        return True
    os.kill(record.pid, signal.SIGKILL)
    return wait_for_exit(record, 5.0)


def wait_for_exit(record: ProcessRecord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not record.is_running():
            return True
        # Reap it if it is our own child (e.g. started by this Python process in a test).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(record.pid, os.WNOHANG)
        time.sleep(0.1)
    return not record.is_running()
