"""Is a TCP port free, and if not, which process listens on it (read from /proc, no tools)."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TCP_LISTEN_STATE = "0A"


@dataclass(frozen=True)
class Listener:
    pid: int
    command: str


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port.

    Binding is the real test (what the server itself will do); SO_REUSEADDR so that sockets
    lingering in TIME_WAIT after a previous stop don't count as 'in use'.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def accepts_connections(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def listening_inodes(proc_net_tcp_lines: Iterable[str], port: int) -> set[str]:
    """Socket inodes listening on `port`, from the lines of /proc/net/tcp or /proc/net/tcp6."""
    inodes: set[str] = set()
    for line in proc_net_tcp_lines:
        fields = line.split()
        # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
        if len(fields) < 10 or ":" not in fields[1]:
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == _TCP_LISTEN_STATE:
            inodes.add(fields[9])
    return inodes


def find_listener(port: int, proc: Path = Path("/proc")) -> Listener | None:
    """The process listening on `port`, if this user may see it (root sees every process)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            inodes |= listening_inodes((proc / "net" / table).read_text().splitlines()[1:], port)
        except OSError:
            continue
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            for fd in (pid_dir / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return Listener(int(pid_dir.name), process_command(int(pid_dir.name), proc))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return None


def process_command(pid: int, proc: Path = Path("/proc")) -> str:
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def describe_port_user(host: str, port: int) -> str:
    """A sentence naming what holds the port, for error messages."""
    listener = find_listener(port)
    if listener is None:
        return f"port {host}:{port} is already in use (by a process this user cannot see)"
    command = listener.command if len(listener.command) <= 160 else listener.command[:157] + "..."
    return f"port {host}:{port} is already in use by pid {listener.pid}: {command}"
