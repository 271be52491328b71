"""What the plain and the secured test stacks share: a stack config beside the developer's own,
and databases and topics made for one test and removed after it."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from devtools.localstack import StackConfig, kafka_admin
from devtools.localstack.config import ENV_CACHE_DIR, ENV_KAFKA_VERSION, default_state_dir


def isolated_stack_config(state_dir: str | None, suffix: str, **settings: Any) -> StackConfig:
    """A test stack's settings: only the jar cache and Kafka version follow the developer's
    environment; the state dir is `state_dir`, else the developer's default one + `suffix`
    (never STREAMVIEW_STATE_DIR itself), so a developer's own stack is left alone. One
    partition per topic and no registry (the tests that need one start their own)."""
    shared = {
        key: value
        for key, value in os.environ.items()
        if key in (ENV_CACHE_DIR, ENV_KAFKA_VERSION, "XDG_CACHE_HOME")
    }
    xdg_only = {"XDG_STATE_HOME": os.environ.get("XDG_STATE_HOME", "")}
    default_dir = default_state_dir(xdg_only, as_root=os.geteuid() == 0)
    return StackConfig.from_env(
        env=shared,
        state_dir=Path(state_dir or f"{default_dir}{suffix}"),
        topic_partitions=1,
        registry=False,
        **settings,
    )


@contextlib.contextmanager
def new_database(admin_url: str) -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards even if connections remain."""
    name = f"sv_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def topic_factory(
    bootstrap: str, security: KafkaSecurity = PLAINTEXT
) -> Iterator[Callable[..., str]]:
    """make(partitions=1) -> name: a topic unique to the test, with its .dlq, usable at once;
    all deleted afterwards."""
    created: list[str] = []

    def make(partitions: int = 1) -> str:
        name = f"test.{uuid.uuid4().hex[:12]}"
        topics = {name: partitions, f"{name}.dlq": partitions}
        problems = kafka_admin.create_topics(bootstrap, topics, security=security)
        if problems:
            raise RuntimeError(f"creating test topics failed: {problems}")
        created.extend(topics)
        return name

    yield make
    if created:
        # Best effort: a topic left behind costs a little disk in the test state dir, no more.
        with contextlib.suppress(Exception):
            kafka_admin.delete_topics(bootstrap, created, security=security)
