"""A single-node Kafka (KRaft, broker and controller in one JVM) run from the cached jars."""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from adapters.kafka.acls import needed_acls
from adapters.kafka.security import PLAINTEXT, KafkaSecurity, kafka_security
from devtools.localstack import kafka_admin
from devtools.localstack.certificates import (
    ADMIN_PRINCIPAL,
    BROKER_PRINCIPAL,
    CLIENT_PRINCIPAL,
    StackCertificates,
)
from devtools.localstack.config import DEAD_LETTER_SUFFIX, StackConfig
from devtools.localstack.errors import StackError
from devtools.localstack.java import find_java
from devtools.localstack.kafka_jars import ensure_kafka_jars, find_kafka_deploy_dir
from devtools.localstack.ports import accepts_connections, describe_port_user, port_is_free
from devtools.localstack.processes import PidFile, ProcessRecord, terminate
from devtools.localstack.service import ServiceStatus

JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def render_server_properties(
    config: StackConfig, data_dir: Path, pki: StackCertificates | None = None
) -> str:
    """server.properties of a one-node cluster, tuned for fast tests rather than durability."""
    host = config.host
    settings: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter set (rather than `format --standalone`) keeps the controller's address
        # out of the formatted log, so the ports can change between runs of the same data dir.
        "controller.quorum.voters": f"1@{host}:{config.kafka_controller_port}",
        "listeners": (
            f"PLAINTEXT://{host}:{config.kafka_port},CONTROLLER://{host}:{config.kafka_controller_port}"
        ),
        "advertised.listeners": f"PLAINTEXT://{host}:{config.kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # One broker: every internal topic has one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Fast tests: consumers join a group at once, internal topics are small.
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        # The cleaner reserves this much heap; Kafka demands more than 1 MiB per cleaner thread.
        "log.cleaner.dedupe.buffer.size": "2097152",
        "auto.create.topics.enable": "false",
        "delete.topic.enable": "true",
    }
    if config.secure and pki is not None:
        settings.update(secure_properties(config, pki))
    lines = ["# Written by `streamview stack up` on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def secure_properties(config: StackConfig, pki: StackCertificates) -> dict[str, str]:
    """mTLS on the broker port, SASL_SSL/SCRAM on the SASL port, the controller on mTLS, and
    KRaft's StandardAuthorizer: nothing is allowed that an ACL does not allow."""
    host = config.host
    scram_login = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    return {
        "listeners": (
            f"SSL://{host}:{config.kafka_port},SASL_SSL://{host}:{config.kafka_sasl_port},"
            f"CONTROLLER://{host}:{config.kafka_controller_port}"
        ),
        "advertised.listeners": (
            f"SSL://{host}:{config.kafka_port},SASL_SSL://{host}:{config.kafka_sasl_port}"
        ),
        "inter.broker.listener.name": "SSL",
        "listener.security.protocol.map": "CONTROLLER:SSL,SSL:SSL,SASL_SSL:SASL_SSL",
        # PEM stores: the broker's key and certificate in one file, the CA in another.
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(pki.directory / "server-bundle.pem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca),
        "ssl.client.auth": "required",
        "listener.name.sasl_ssl.ssl.client.auth": "none",
        # CN=streamview → User:streamview, the same principal as the SCRAM user.
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
        "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": scram_login,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram_login,
        # OAUTHBEARER with Kafka's own *unsecured* validator (unsigned tokens, the principal is
        # their `sub`): enough to exercise StreamView's token file, no identity provider.
        "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config": (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            f'unsecuredLoginStringClaim_sub="{BROKER_PRINCIPAL}";'
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{BROKER_PRINCIPAL};User:{ADMIN_PRINCIPAL}",
        "allow.everyone.if.no.acl.found": "false",
    }


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    The same as `kafka-storage random-uuid` (which avoids ids starting with '-' because
    command lines would take them for options), without paying for a JVM start.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaNode:
    name = "kafka"

    def __init__(self, config: StackConfig, report: Callable[[str], None]) -> None:
        self.config = config
        self.report = report
        self.home = config.kafka_dir
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.properties_file = self.home / "server.properties"
        self.stdout_log = self.logs_dir / "stdout.log"
        self.pid_file = PidFile(self.home / "kafka.pid")
        self.pki = StackCertificates(config.pki_dir) if config.secure else None

    def admin_security(self) -> KafkaSecurity:
        """How the stack itself talks to its broker: as the admin (a super user) when secured."""
        if self.pki is None:
            return PLAINTEXT
        return kafka_security(
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_ca_file": str(self.pki.ca),
                "kafka_ssl_cert_file": str(self.pki.admin_cert),
                "kafka_ssl_key_file": str(self.pki.admin_key),
            }
        )

    # -- state --------------------------------------------------------------------------------

    def running_process(self) -> ProcessRecord | None:
        return self.pid_file.running_process()

    def status(self) -> ServiceStatus:
        return ServiceStatus.of(
            self.name, self.running_process(), self.data_dir, self.logs_dir / "server.log"
        )

    # -- start ----------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the broker unless ours already runs; True if this call started it."""
        running = self.running_process()
        if running is not None:
            if running.address != self.config.kafka_bootstrap:
                raise StackError(
                    f"Kafka from {self.home} already runs on {running.address}, not on "
                    f"{self.config.kafka_bootstrap}: use that port or `streamview stack down` first"
                )
            self.report(f"kafka: already running (pid {running.pid}), reusing it")
            return False
        self._check_ports_free()
        java = find_java()
        libs_dir = ensure_kafka_jars(self.config, self.report)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text(
            render_server_properties(self.config, self.data_dir, self.pki)
        )
        classpath = f"{libs_dir}/*"
        scram = self._scram_password() if self.pki is not None else None
        if scram is not None:
            self._write_keystore()
        if not (self.data_dir / "meta.properties").is_file() or scram == "new":
            self._format_storage(java, classpath)
        self.report(f"kafka: starting on {self.config.kafka_bootstrap} (log {self.logs_dir})")
        with self.stdout_log.open("ab") as stdout:
            # Own session: the broker outlives this command and ignores the terminal's Ctrl-C.
            process = subprocess.Popen(
                [
                    java,
                    *JVM_OPTIONS,
                    *self._logging_options(),
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(self.properties_file),
                ],
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write(process.pid, str(self.properties_file), self.config.kafka_bootstrap)
        return True

    def _check_ports_free(self) -> None:
        ports = [self.config.kafka_port, self.config.kafka_controller_port]
        if self.config.secure:
            ports.append(self.config.kafka_sasl_port)
        for port in ports:
            if not port_is_free(self.config.host, port):
                raise StackError(
                    f"cannot start Kafka: {describe_port_user(self.config.host, port)}; "
                    "stop it, or choose other ports (STREAMVIEW_STACK_KAFKA_PORT / --kafka-port)."
                )

    def _logging_options(self) -> list[str]:
        log4j_config = find_kafka_deploy_dir() / "log4j2.properties"
        return [f"-Dlog4j2.configurationFile={log4j_config}", f"-Dkafka.logs.dir={self.logs_dir}"]

    def _format_storage(self, java: str, classpath: str) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-formatted dir is useless
        cluster_id = new_cluster_id()
        self.report(f"kafka: formatting storage in {self.data_dir} (cluster id {cluster_id})")
        result = subprocess.run(
            [
                java,
                *self._logging_options(),
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(self.properties_file),
                *self._scram_users(),
            ],
            cwd=self.home,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    # -- readiness and topics ------------------------------------------------------------------

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the broker answers a metadata request, or explain why it never will."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running_process() is None:
                raise StackError(f"Kafka exited during start-up:\n{self._log_tail()}")
            if accepts_connections(self.config.host, self.config.kafka_port) and (
                kafka_admin.broker_answers(
                    self.config.kafka_bootstrap, security=self.admin_security()
                )
            ):
                return
            time.sleep(0.25)
        raise StackError(f"Kafka did not become ready within {timeout:.0f} s:\n{self._log_tail()}")

    def ensure_topics(self, timeout: float = 30.0) -> None:
        """Create the configured topics and their dead-letter topics; existing ones are kept."""
        wanted = {topic: self.config.topic_partitions for topic in self.config.all_topics()}
        deadline = time.monotonic() + timeout
        # Right after start-up the controller may still refuse; retry until the deadline.
        while True:
            problems = kafka_admin.create_topics(
                self.config.kafka_bootstrap, wanted, security=self.admin_security()
            )
            if not problems and self.pki is not None:
                problems = self._grant_client()
            if not problems:
                self.report(f"kafka: topics ready: {', '.join(wanted)}")
                return
            if time.monotonic() > deadline:
                raise StackError(f"creating Kafka topics failed: {problems}")
            time.sleep(0.5)

    # -- the secured variant -------------------------------------------------------------------

    def _scram_password(self) -> str:
        """ "new" when the SCRAM password was just made (the storage is then formatted again,
        as SCRAM users are added at format time), else "kept"."""
        path = self.config.scram_password_file
        if path.is_file():
            return "kept"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
        return "new"

    def _scram_users(self) -> list[str]:
        if self.pki is None:
            return []
        password = self.config.scram_password_file.read_text().strip()
        return [
            argument
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
            for argument in (
                "--add-scram",
                f"{mechanism}=[name={CLIENT_PRINCIPAL},password={password}]",
            )
        ]

    def _write_keystore(self) -> None:
        assert self.pki is not None
        bundle = self.pki.directory / "server-bundle.pem"
        bundle.write_bytes(self.pki.server_key.read_bytes() + self.pki.server_cert.read_bytes())
        bundle.chmod(0o600)

    def _grant_client(self) -> dict[str, str]:
        """The documented ACLs of the `streamview` principal on every configured topic."""
        acls = [
            acl
            for topic in self.config.topics
            for acl in needed_acls(
                CLIENT_PRINCIPAL, topic, topic + DEAD_LETTER_SUFFIX, self.config.consumer_group
            )
        ]
        return kafka_admin.create_acls(self.config.kafka_bootstrap, acls, self.admin_security())

    def _log_tail(self, lines: int = 30) -> str:
        text = ""
        for log in (self.stdout_log, self.logs_dir / "server.log"):
            if log.is_file():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                text += f"--- {log} ---\n" + "\n".join(tail) + "\n"
        return text

    # -- stop -----------------------------------------------------------------------------------

    def stop(self) -> bool:
        """Stop the broker this state dir started (by its pid file); True if one was running."""
        process = self.running_process()
        if process is None:
            self.pid_file.remove()
            return False
        self.report(f"kafka: stopping pid {process.pid}")
        if not terminate(process, STOP_TIMEOUT_S):
            raise StackError(f"Kafka (pid {process.pid}) did not stop")
        self.pid_file.remove()
        return True
