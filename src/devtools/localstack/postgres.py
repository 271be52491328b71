"""A PostgreSQL server for the stack: initdb once, pg_ctl start/stop, TCP on 127.0.0.1 only.

Run as the current user, or, when that is root, as the unprivileged `config.os_user`.
Authentication is `trust` for connections from this machine: a local dev stack, not a server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from devtools.localstack.certificates import StackCertificates
from devtools.localstack.config import StackConfig
from devtools.localstack.errors import StackError
from devtools.localstack.os_user import as_user, ensure_system_user, give_to, user_can_run
from devtools.localstack.pg_binaries import PostgresBinaries, locate_binaries, usable_by
from devtools.localstack.ports import describe_port_user, port_is_free
from devtools.localstack.processes import process_cmdline
from devtools.localstack.service import ServiceStatus

START_TIMEOUT_S = 60


@dataclass(frozen=True)
class Postmaster:
    """The running server, as told by the postmaster.pid file that PostgreSQL itself keeps."""

    pid: int
    port: int


def read_postmaster(data_dir: Path) -> Postmaster | None:
    """The server running on `data_dir`, checked against /proc; None when not running.

    pg_ctl starts the server as `postgres -D <data_dir> ...`, so a pid whose command line
    lacks the data dir is some other process that reused the number.
    """
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    cmdline = process_cmdline(pid)
    if cmdline is None or str(data_dir) not in cmdline:
        return None
    return Postmaster(pid, port)


def server_options(config: StackConfig) -> str:
    """Settings passed with `pg_ctl -o` on each start, so a changed port applies at once.

    No Unix socket: its default folder may not exist or be writable, and TCP is all we use.
    """
    options = (
        f"-c listen_addresses={config.host} -c port={config.postgres_port} "
        "-c unix_socket_directories='' -c max_connections=200"
    )
    if config.secure:
        tls = config.postgres_dir / "tls"
        options += (
            f" -c ssl=on -c ssl_cert_file={tls / 'server.pem'} "
            f"-c ssl_key_file={tls / 'server-key.pem'} -c ssl_ca_file={tls / 'ca.pem'} "
            f"-c hba_file={tls / 'pg_hba.conf'}"
        )
    return options


# The secured server takes TLS connections with a client certificate of the stack's CA only;
# which role a client may be is not checked (trust): a local stack, not a server to expose.
SECURE_HBA = (
    "hostssl all all 127.0.0.1/32 trust clientcert=verify-ca\n"
    "hostssl all all ::1/128 trust clientcert=verify-ca\n"
)


class PostgresNode:
    name = "postgres"

    def __init__(self, config: StackConfig, report: Callable[[str], None]) -> None:
        self.config = config
        self.report = report
        self.home = config.postgres_dir
        self.data_dir = self.home / "data"
        self.log_file = self.home / "postgres.log"
        self.os_user = config.os_user if config.run_as_root else None
        # Only needed to run commands: found lazily, so `status` works without them.
        self._binaries: PostgresBinaries | None = None

    # -- state --------------------------------------------------------------------------------

    def running_postmaster(self) -> Postmaster | None:
        return read_postmaster(self.data_dir)

    def status(self) -> ServiceStatus:
        postmaster = self.running_postmaster()
        return ServiceStatus(
            name=self.name,
            running=postmaster is not None,
            pid=postmaster.pid if postmaster else None,
            address=f"{self.config.host}:{postmaster.port}" if postmaster else None,
            data_dir=self.data_dir,
            log_file=self.log_file,
        )

    # -- start ----------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the server unless ours already runs; True if this call started it."""
        running = self.running_postmaster()
        if running is not None:
            if running.port != self.config.postgres_port:
                raise StackError(
                    f"PostgreSQL from {self.data_dir} already runs on port {running.port}, not "
                    f"{self.config.postgres_port}: use that port or `streamview stack down` first"
                )
            self.report(f"postgres: already running (pid {running.pid}), reusing it")
            self.ensure_database()
            return False
        if not port_is_free(self.config.host, self.config.postgres_port):
            raise StackError(
                "cannot start PostgreSQL: "
                f"{describe_port_user(self.config.host, self.config.postgres_port)}; stop it, or "
                "choose another port (STREAMVIEW_STACK_POSTGRES_PORT / --postgres-port)."
            )
        self._prepare_home()
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb()
        if self.config.secure:
            self._install_tls()
        self.report(f"postgres: starting on {self.config.host}:{self.config.postgres_port}")
        pg_ctl = self.binaries().tool("pg_ctl")
        self._run(
            [
                pg_ctl,
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                server_options(self.config),
            ],
            failure="starting PostgreSQL failed",
        )
        self.ensure_database()
        return True

    def binaries(self) -> PostgresBinaries:
        if self._binaries is None:
            found = locate_binaries(tls=self.config.secure)
            self._binaries = usable_by(
                self.os_user, found, self.config.state_dir / "pgbin", self.report
            )
        return self._binaries

    def _prepare_home(self) -> None:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        if self.os_user is not None:
            ensure_system_user(self.os_user, self.report)
        self.home.mkdir(exist_ok=True)
        give_to(self.os_user, self.home, 0o700)
        if not user_can_run(self.os_user, ["test", "-w", str(self.home)], self.home.parent):
            raise StackError(
                f"user {self.os_user!r} cannot write {self.home}: a parent folder is closed to "
                "it (e.g. a home folder with mode 0700); set STREAMVIEW_STATE_DIR to a folder "
                "under /var/tmp"
            )

    def _initdb(self) -> None:
        # initdb into a side folder and rename: a crash mid-way never leaves a half cluster.
        staging = self.home / "data.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        binaries = self.binaries()
        self.report(f"postgres: initdb {self.data_dir} (PostgreSQL from {binaries.origin})")
        self._run(
            [
                binaries.tool("initdb"),
                "-D",
                str(staging),
                "-U",
                self.config.database_user,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            ],
            failure="initdb failed",
        )
        staging.rename(self.data_dir)

    def _install_tls(self) -> None:
        """The server's certificate, key and CA, and the TLS-only pg_hba.conf, owned by the
        server's user (PostgreSQL refuses a key that others can read)."""
        pki = StackCertificates(self.config.pki_dir)
        tls = self.home / "tls"
        tls.mkdir(exist_ok=True)
        give_to(self.os_user, tls, 0o700)
        files = {
            "server.pem": pki.server_cert.read_bytes(),
            "server-key.pem": pki.server_key.read_bytes(),
            "ca.pem": pki.ca.read_bytes(),
            "pg_hba.conf": SECURE_HBA.encode(),
        }
        for name, content in files.items():
            (tls / name).write_bytes(content)
            give_to(self.os_user, tls / name, 0o600)

    def ensure_database(self) -> None:
        """Create the application database if it is missing."""
        admin_url = self.config.database_url_for("postgres")
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.config.database,)
            ).fetchone()
            if exists is None:
                self.report(f"postgres: creating database {self.config.database}")
                connection.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.config.database))
                )

    # -- stop -----------------------------------------------------------------------------------

    def stop(self) -> bool:
        """Stop the server of this data dir (pg_ctl reads its pid file); True if one ran."""
        postmaster = self.running_postmaster()
        if postmaster is None:
            return False
        self.report(f"postgres: stopping pid {postmaster.pid}")
        self._run(
            [
                self.binaries().tool("pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(START_TIMEOUT_S),
            ],
            failure="stopping PostgreSQL failed",
        )
        return True

    # -- helpers --------------------------------------------------------------------------------

    def _run(self, argv: Sequence[str], failure: str) -> None:
        """Run a PostgreSQL program as the database user, output kept for the error message.

        Output goes to a temporary file, not a pipe: the server started by `pg_ctl start`
        would otherwise inherit the pipe and keep it open.
        """
        env = {**os.environ, "LC_ALL": "C"}  # server messages in plain English, no locale
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(
                as_user(self.os_user, argv),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                check=False,
            )
            output.seek(0)
            text = output.read().decode(errors="replace")
        if result.returncode != 0:
            log_tail = ""
            if self.log_file.is_file():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
            raise StackError(f"{failure}:\n{text.strip()}\n--- {self.log_file} ---\n{log_tail}")
