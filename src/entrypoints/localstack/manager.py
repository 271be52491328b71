"""The whole local stack: Kafka, PostgreSQL and (unless turned off) a schema registry, started,
checked and stopped together."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from entrypoints.localstack.config import StackConfig
from entrypoints.localstack.kafka import KafkaNode
from entrypoints.localstack.locks import file_lock
from entrypoints.localstack.postgres import PostgresNode
from entrypoints.localstack.registry import RegistryNode
from entrypoints.localstack.service import ServiceStatus


@dataclass(frozen=True)
class Endpoints:
    """Where StreamView finds the stack; the same values `stack up` prints as exports."""

    kafka_bootstrap: str
    database_url: str
    schema_registry_url: str | None = None

    def shell_exports(self) -> str:
        exports = (
            f"export STREAMVIEW_KAFKA_BOOTSTRAP={self.kafka_bootstrap}\n"
            f"export STREAMVIEW_DATABASE_URL={self.database_url}\n"
        )
        if self.schema_registry_url:
            exports += f"export STREAMVIEW_SCHEMA_REGISTRY_URL={self.schema_registry_url}\n"
        return exports


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
        return Endpoints(self.config.kafka_bootstrap, self.config.database_url, registry_url)

    def up(self) -> Endpoints:
        began = time.monotonic()
        started: list[str] = []
        with file_lock(self.config.state_dir / "stack.lock"):
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
