"""The whole local stack: Kafka, PostgreSQL and (unless turned off) a schema registry, started,
checked and stopped together."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from devtools.localstack.certificates import CLIENT_PRINCIPAL, StackCertificates, generate
from devtools.localstack.config import StackConfig
from devtools.localstack.kafka import KafkaNode
from devtools.localstack.locks import file_lock
from devtools.localstack.postgres import PostgresNode
from devtools.localstack.registry import RegistryNode
from devtools.localstack.service import ServiceStatus


@dataclass(frozen=True)
class Endpoints:
    """Where StreamView finds the stack; the same values `stack up` prints as exports.

    `kafka_security` holds the STREAMVIEW_KAFKA_* security variables of the secured stack
    (mTLS as `streamview`); `kafka_sasl` those for its SASL_SSL/SCRAM listener instead.
    """

    kafka_bootstrap: str
    database_url: str
    kafka_security: Mapping[str, str] = field(default_factory=dict)
    kafka_sasl: Mapping[str, str] = field(default_factory=dict)
    schema_registry_url: str | None = None

    def environment(self) -> dict[str, str]:
        registry = self.schema_registry_url
        return {
            "STREAMVIEW_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "STREAMVIEW_DATABASE_URL": self.database_url,
            **self.kafka_security,
            **({"STREAMVIEW_SCHEMA_REGISTRY_URL": registry} if registry else {}),
        }

    def shell_exports(self) -> str:
        lines = [
            f"export {name}={shlex.quote(value)}" for name, value in self.environment().items()
        ]
        if self.kafka_sasl:
            lines.append("# or, over SASL_SSL with SCRAM instead of a client certificate:")
            lines += [f"#   export {name}={shlex.quote(v)}" for name, v in self.kafka_sasl.items()]
        return "\n".join(lines) + "\n"


def secure_endpoints(config: StackConfig, schema_registry_url: str | None = None) -> Endpoints:
    pki = StackCertificates(config.pki_dir)
    return Endpoints(
        config.kafka_bootstrap,
        config.database_url,
        kafka_security={
            "STREAMVIEW_KAFKA_SECURITY_PROTOCOL": "SSL",
            "STREAMVIEW_KAFKA_SSL_CA_FILE": str(pki.ca),
            "STREAMVIEW_KAFKA_SSL_CERT_FILE": str(pki.client_cert),
            "STREAMVIEW_KAFKA_SSL_KEY_FILE": str(pki.client_key),
        },
        kafka_sasl={
            "STREAMVIEW_KAFKA_BOOTSTRAP": config.kafka_sasl_bootstrap,
            "STREAMVIEW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "STREAMVIEW_KAFKA_SSL_CA_FILE": str(pki.ca),
            "STREAMVIEW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "STREAMVIEW_KAFKA_SASL_USERNAME": CLIENT_PRINCIPAL,
            "STREAMVIEW_KAFKA_SASL_PASSWORD_FILE": str(config.scram_password_file),
        },
        schema_registry_url=schema_registry_url,
    )


def _ignore(_message: str) -> None:
    pass


class LocalStack:
    """Start, inspect and stop the stack described by one StackConfig (one state dir).

    `up()` is idempotent: services already running from the same state dir are reused.
    `started` tells which services the last `up()` really started, so a caller (a test
    session) can stop only those: `stack.down(only=stack.started)`.
    """

    def __init__(self, config: StackConfig, report: Callable[[str], None] = _ignore) -> None:
        self.config = config
        self.report = report
        self.kafka = KafkaNode(config, report)
        self.postgres = PostgresNode(config, report)
        self.registry = RegistryNode(config, report)
        self.started: tuple[str, ...] = ()

    @property
    def endpoints(self) -> Endpoints:
        registry_url = self.registry.url if self.config.registry else None
        if self.config.secure:
            return secure_endpoints(self.config, registry_url)
        return Endpoints(
            self.config.kafka_bootstrap, self.config.database_url, schema_registry_url=registry_url
        )

    def up(self) -> Endpoints:
        began = time.monotonic()
        started: list[str] = []
        with file_lock(self.config.state_dir / "stack.lock"):
            if self.config.secure:
                self._ensure_certificates()
            # Kafka's JVM boots (detached) while PostgreSQL starts; Kafka's readiness is
            # awaited only after that, so the two start-ups overlap.
            if self.kafka.start():
                started.append(self.kafka.name)
            try:
                # The registry's JVM boots (detached) too, while PostgreSQL starts.
                if self.config.registry and self.registry.start():
                    started.append(self.registry.name)
                if self.postgres.start():
                    started.append(self.postgres.name)
                self.kafka.wait_ready()
                self.kafka.ensure_topics()
                if self.config.registry:
                    self.registry.wait_ready()
            except BaseException:
                self._stop(started)  # leave nothing half started behind
                raise
        self.started = tuple(started)
        self.report(f"stack ready in {time.monotonic() - began:.1f} s")
        return self.endpoints

    def _ensure_certificates(self) -> None:
        """A CA and its certificates, made at the first secured start and kept after."""
        if not StackCertificates(self.config.pki_dir).exist():
            self.report(f"pki: generating a CA and certificates in {self.config.pki_dir}")
            generate(self.config.pki_dir, (self.config.host, "localhost"))

    def down(self, only: Iterable[str] | None = None) -> list[str]:
        """Stop the services of this state dir (all, or those named); returns those stopped."""
        if not self.config.state_dir.is_dir():
            return []  # never started here: nothing to stop, and no state dir to create
        with file_lock(self.config.state_dir / "stack.lock"):
            return self._stop(only)

    def status(self) -> list[ServiceStatus]:
        statuses = [self.kafka.status(), self.postgres.status()]
        registry = self.registry.status()
        # A state dir whose stack never ran a registry (started --no-registry, as the test
        # stack is) is complete without one.
        if registry.running or (self.config.registry and self.registry.home.is_dir()):
            statuses.append(registry)
        return statuses

    def _stop(self, only: Iterable[str] | None) -> list[str]:
        everything = {self.kafka.name, self.postgres.name, self.registry.name}
        names = set(only) if only is not None else everything
        stopped = []
        # Kafka first: nothing depends on it here, and it is the slower one to shut down.
        for node in (self.kafka, self.registry, self.postgres):
            if node.name in names and node.stop():
                stopped.append(node.name)
        return stopped
