"""A real Confluent-compatible schema registry (Apicurio Registry 2.6, its ccompat API) run
from the prebuilt application Maven fetches once from Maven Central (deploy/registry/pom.xml).

Its data is an H2 file in the state dir, so schema ids stay valid across restarts, as the
Kafka records framed with them do. Compatibility is set to BACKWARD at every start: Apicurio's
default is NONE, Confluent's BACKWARD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from devtools.localstack.config import StackConfig
from devtools.localstack.errors import StackError
from devtools.localstack.java import find_java
from devtools.localstack.kafka_jars import NETWORK_SYMPTOMS
from devtools.localstack.locks import file_lock
from devtools.localstack.ports import describe_port_user, port_is_free
from devtools.localstack.processes import PidFile, ProcessRecord, process_cmdline, terminate
from devtools.localstack.service import ServiceStatus

APICURIO_VERSION = "2.6.13.Final"
CCOMPAT_PATH = "/apis/ccompat/v7"
# A small heap is plenty for a development registry; SerialGC keeps its RSS near 200 MB.
JVM_OPTIONS = ("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
START_TIMEOUT_S = 120.0  # 3 s on a quiet machine, over 13 s on a loaded one
STOP_TIMEOUT_S = 30.0
COMPLETE_MARKER = ".download-complete"


def find_registry_deploy_dir() -> Path:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "deploy" / "registry"
        if (candidate / "pom.xml").is_file():
            return candidate
    raise StackError("cannot find deploy/registry/pom.xml: run from a StreamView checkout")


def runner_jar(app_dir: Path) -> Path:
    return app_dir / f"apicurio-registry-app-{APICURIO_VERSION}-runner.jar"


def ensure_registry_app(cache_dir: Path, report: Callable[[str], None]) -> Path:
    """The unpacked application (runner jar and lib/), downloading it first if needed."""
    version_dir = cache_dir / f"apicurio-{APICURIO_VERSION}"
    app_dir = version_dir / "app"
    if (version_dir / COMPLETE_MARKER).is_file() and runner_jar(app_dir).is_file():
        return app_dir
    version_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(version_dir.with_name(version_dir.name + ".lock")):
        if (version_dir / COMPLETE_MARKER).is_file() and runner_jar(app_dir).is_file():
            return app_dir
        report(f"downloading Apicurio Registry {APICURIO_VERSION} with Maven into {app_dir} ...")
        partial = version_dir / "app.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(app_dir, ignore_errors=True)
        _run_maven(partial)
        partial.rename(app_dir)
        (version_dir / COMPLETE_MARKER).write_text(f"apicurio-registry-app {APICURIO_VERSION}\n")
    return app_dir


def _run_maven(output_dir: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "the schema registry is fetched with Maven and no `mvn` is on PATH; "
            "install it with: apt-get install maven"
        )
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(find_registry_deploy_dir() / "pom.xml"),
        "dependency:unpack@unpack-apicurio",
        f"-Dregistry.output={output_dir}",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise StackError("Maven did not download the schema registry within 15 minutes") from None
    if result.returncode != 0:
        output = result.stdout + result.stderr
        tail = "\n".join(output.strip().splitlines()[-15:])
        if any(symptom in output.lower() for symptom in NETWORK_SYMPTOMS):
            raise StackError(
                "Maven could not reach Maven Central to download the schema registry; check "
                f"the network or the proxy/mirror in ~/.m2/settings.xml. Maven said:\n{tail}"
            )
        raise StackError(f"Maven failed to download Apicurio Registry {APICURIO_VERSION}:\n{tail}")


def _wait_for_exec(process: subprocess.Popen[bytes], marker: str, timeout: float = 10.0) -> None:
    """Until the child runs java (or died): just after the fork its command line is still
    ours, and a pid file checked against it then would say the registry is not running."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if marker in (process_cmdline(process.pid) or ""):
            return
        time.sleep(0.01)


class RegistryNode:
    name = "registry"

    def __init__(self, config: StackConfig, report: Callable[[str], None]) -> None:
        self.config = config
        self.report = report
        self.home = config.state_dir / "registry"
        self.data_dir = self.home / "data"
        self.stdout_log = self.home / "registry.log"
        self.pid_file = PidFile(self.home / "registry.pid")

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.config.registry_port}"

    @property
    def url(self) -> str:
        """What a Confluent client is given: the ccompat API's base URL."""
        return f"http://{self.address}{CCOMPAT_PATH}"

    def running_process(self) -> ProcessRecord | None:
        return self.pid_file.running_process()

    def status(self) -> ServiceStatus:
        return ServiceStatus.of(self.name, self.running_process(), self.data_dir, self.stdout_log)

    def start(self) -> bool:
        """Start the registry unless ours already runs; True if this call started it."""
        running = self.running_process()
        if running is not None:
            if running.address != self.address:
                raise StackError(
                    f"the schema registry from {self.home} already runs on {running.address}, "
                    f"not on {self.address}: use that port or `streamview stack down` first"
                )
            self.report(f"registry: already running (pid {running.pid}), reusing it")
            return False
        if not port_is_free(self.config.host, self.config.registry_port):
            raise StackError(
                "cannot start the schema registry: "
                f"{describe_port_user(self.config.host, self.config.registry_port)}; stop it, "
                "or choose another port (STREAMVIEW_STACK_REGISTRY_PORT / --registry-port)."
            )
        java = find_java()
        jar = runner_jar(ensure_registry_app(self.config.cache_dir, self.report))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            # Kept on disk: the ids in records already on Kafka stay valid after a restart.
            "REGISTRY_DATASOURCE_URL": f"jdbc:h2:file:{self.data_dir / 'registry'}",
        }
        self.report(f"registry: starting on {self.url} (log {self.stdout_log})")
        with self.stdout_log.open("ab") as stdout:
            process = subprocess.Popen(
                [
                    java,
                    *JVM_OPTIONS,
                    f"-Dquarkus.http.host={self.config.host}",
                    f"-Dquarkus.http.port={self.config.registry_port}",
                    "-jar",
                    str(jar),
                ],
                cwd=self.home,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for_exec(process, str(jar))
        self.pid_file.write(process.pid, str(jar), self.address)
        return True

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running_process() is None:
                raise StackError(f"the schema registry exited during start-up:\n{self._tail()}")
            if self._answers("/health/ready"):
                self._set_backward()
                return
            time.sleep(0.5)
        raise StackError(
            f"the schema registry did not become ready within {timeout:.0f} s:\n{self._tail()}"
        )

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}{path}", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _set_backward(self) -> None:
        from schema_registry.client import SchemaRegistryClient

        if not SchemaRegistryClient(self.url).update_compatibility("BACKWARD"):
            raise StackError("the schema registry refused compatibility BACKWARD")

    def _tail(self, lines: int = 30) -> str:
        if not self.stdout_log.is_file():
            return ""
        tail = self.stdout_log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.stdout_log} ---\n" + "\n".join(tail) + "\n"

    def stop(self) -> bool:
        process = self.running_process()
        if process is None:
            self.pid_file.remove()
            return False
        self.report(f"registry: stopping pid {process.pid}")
        if not terminate(process, STOP_TIMEOUT_S):
            raise StackError(f"the schema registry (pid {process.pid}) did not stop")
        self.pid_file.remove()
        return True
