"""The unprivileged OS user that runs PostgreSQL when the stack is started by root.

PostgreSQL refuses to run as root. Rather than open root's files to everyone, the stack
creates one system account (no home, no login shell, no password) and runs the database
programs as that account with `runuser -u <user> --`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from devtools.localstack.errors import StackError


def ensure_system_user(name: str, report: Callable[[str], None]) -> None:
    """Create system user `name` (and its group) unless it exists. Needs root."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    report(f"creating system user {name!r} to run PostgreSQL (it refuses to run as root)")
    result = subprocess.run(
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "StreamView local stack",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"could not create system user {name!r}: {result.stderr.strip()}")


def as_user(user: str | None, argv: Sequence[str]) -> list[str]:
    """The command line that runs `argv` as `user` (None: as ourselves)."""
    if user is None:
        return list(argv)
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", user, "--", *argv]


def give_to(user: str | None, path: Path, mode: int) -> None:
    """Make `path` (a directory) belong to `user` with `mode`; no-op for ourselves."""
    path.chmod(mode)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def user_can_run(user: str | None, argv: Sequence[str], cwd: Path) -> bool:
    """True if `argv` runs successfully as `user` (used to probe file permissions for real)."""
    try:
        result = subprocess.run(
            as_user(user, argv), cwd=cwd, capture_output=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0
