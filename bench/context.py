"""One benchmark run: where the stack is, what it created, and how services are configured."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from bench.ports import free_port
from bench.services import Service
from bench.sizes import Sizes
from devtools.localstack import kafka_admin

# The API process of a benchmark signs cursors and checks ops tokens with these, so the
# benchmark can build a deep cursor and an ops token itself.
CURSOR_SECRET = "streamview-bench-cursor-secret-0123456789abcdef"
OPS_JWT_SECRET = "streamview-bench-ops-secret-0123456789abcdef"


@dataclass(frozen=True)
class LoadedTopic:
    """Scenario 1's topic, loaded once per run and read again by the later scenarios."""

    name: str
    targets: dict[int, int]  # end offset by partition right after loading
    produced: dict

    @property
    def records(self) -> int:
        return sum(self.targets.values())


@dataclass
class BenchContext:
    kafka_bootstrap: str
    admin_database_url: str
    sizes: Sizes
    work_dir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    # Left by scenario 1 for the later ones: the loaded topic and the database it filled.
    loaded: LoadedTopic | None = None
    ingest_database: str | None = None
    amplified: dict | None = None
    api: Service | None = None
    # A Confluent-compatible schema registry for the Avro ingest run; None skips that run.
    registry_url: str | None = None

    def new_database(self, purpose: str) -> str:
        """A new empty database for one scenario; its URL."""
        name = f"bench_{self.run_id}_{purpose}"
        with psycopg.connect(self.admin_database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.databases.append(name)
        return urlsplit(self.admin_database_url)._replace(path=f"/{name}").geturl()

    def new_topic(self, purpose: str, partitions: int) -> str:
        """A new topic (and its .dlq) for one scenario."""
        name = f"bench.{self.run_id}.{purpose}"
        wanted = {name: partitions, f"{name}.dlq": partitions}
        problems = kafka_admin.create_topics(self.kafka_bootstrap, wanted)
        if problems:
            raise RuntimeError(f"creating benchmark topics failed: {problems}")
        self.topics.extend(wanted)
        return name

    def service_env(self, database_url: str, topic: str, group: str, http_port: int) -> dict:
        """STREAMVIEW_* settings of a worker or API process of this run."""
        return {
            "STREAMVIEW_BACKEND": "postgres",
            "STREAMVIEW_DATABASE_URL": database_url,
            "STREAMVIEW_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "STREAMVIEW_TOPIC": topic,
            "STREAMVIEW_DLQ_TOPIC": f"{topic}.dlq",
            "STREAMVIEW_CONSUMER_GROUP": group,
            "STREAMVIEW_HTTP_HOST": "127.0.0.1",
            "STREAMVIEW_HTTP_PORT": str(http_port),
            "STREAMVIEW_METRICS_PORT": str(free_port()),
            "STREAMVIEW_CURSOR_SECRET": CURSOR_SECRET,
            "STREAMVIEW_OPS_JWT_SECRET": OPS_JWT_SECRET,
            "STREAMVIEW_LOG_LEVEL": "WARNING",
            "STREAMVIEW_LOG_FORMAT": "json",
        }

    def cleanup(self) -> None:
        """Stop the API, drop what this run created (best effort: a leftover costs disk)."""
        if self.api is not None:
            self.api.stop()
        if self.topics:
            with contextlib.suppress(Exception):
                kafka_admin.delete_topics(self.kafka_bootstrap, self.topics)
        with (
            contextlib.suppress(Exception),
            psycopg.connect(self.admin_database_url, autocommit=True) as admin,
        ):
            for name in self.databases:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def elapsed_since(started: float) -> float:
    return time.perf_counter() - started
