"""Real Kafka and PostgreSQL for tests/integration, started once per test session.

By default the fixtures run the project's own local stack (docs/local-stack.md) on ports and
a state dir of its own, so it never collides with a developer's `streamview stack up`:
Kafka 127.0.0.1:19092 (controller 19093), PostgreSQL 127.0.0.1:15432, state in
<default state dir>-test. Ports and state dir can be moved with STREAMVIEW_TEST_KAFKA_PORT,
STREAMVIEW_TEST_POSTGRES_PORT and STREAMVIEW_TEST_STATE_DIR. A test stack already running
there is reused. Test sessions running at the same time share it, and the last one to finish
stops what test sessions started; a test stack started by hand is left running.

With STREAMVIEW_TEST_STACK=containers the same fixtures use Docker through testcontainers
(and skip, saying why, when no Docker engine answers).

Fixtures for tests:
- stack_endpoints (session): .kafka_bootstrap, .admin_database_url (a superuser's URL).
- database_url: URL of a new empty database, dropped WITH (FORCE) after the test.
- new_topic: new_topic(partitions=1) -> name; creates <name> and <name>.dlq, usable at once
  (every partition has a leader), both deleted after the test.
- group_id: a consumer group id no other test uses.
- registry_url (session): a real schema registry's Confluent API URL (Apicurio, port 18081).
- disposable_registry: a schema registry of the test alone (a RegistryNode), to stop and start.
- disposable_postgres: a PostgreSQL server of the test alone (a PostgresNode), to crash
  with postgres_support.crash and start again.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.localstack import LocalStack, StackConfig
from devtools.localstack.postgres import PostgresNode
from devtools.localstack.registry import RegistryNode
from devtools.localstack.sharing import shared_stack
from tests.integration.postgres_support import disposable_postgres_node
from tests.integration.registry_support import (
    RegistryOnlyStack,
    disposable_registry_node,
    registry_stack_config,
)
from tests.integration.secure_support import (  # noqa: F401  # fixtures
    secure_database_url,
    secure_stack,
    secure_topic,
)
from tests.integration.stack_support import isolated_stack_config, new_database, topic_factory

ENV_TEST_STACK = "STREAMVIEW_TEST_STACK"
ENV_TEST_STATE_DIR = "STREAMVIEW_TEST_STATE_DIR"
ENV_TEST_KAFKA_PORT = "STREAMVIEW_TEST_KAFKA_PORT"
ENV_TEST_POSTGRES_PORT = "STREAMVIEW_TEST_POSTGRES_PORT"
TEST_KAFKA_PORT = 19092
TEST_POSTGRES_PORT = 15432
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
POSTGRES_IMAGE = "postgres:16"

_THIS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is an integration test (`pytest -m integration`)."""
    for item in items:
        if _THIS_DIR in item.path.parents:
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class StackEndpoints:
    kafka_bootstrap: str
    admin_database_url: str


def _uses_containers() -> bool:
    return os.environ.get(ENV_TEST_STACK, "local") == "containers"


def integration_stack_config() -> StackConfig:
    kafka_port = int(os.environ.get(ENV_TEST_KAFKA_PORT, TEST_KAFKA_PORT))
    return isolated_stack_config(
        os.environ.get(ENV_TEST_STATE_DIR),
        "-test",
        kafka_port=kafka_port,
        kafka_controller_port=kafka_port + 1,
        postgres_port=int(os.environ.get(ENV_TEST_POSTGRES_PORT, TEST_POSTGRES_PORT)),
    )


def _report(message: str) -> None:
    print(f"[test stack] {message}", file=sys.stderr)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """The local test stack, up for the whole session (skipped in containers mode).

    Shared with other test sessions running at the same time: the last one to finish stops
    what test sessions started; a test stack started by hand is left running.
    """
    if _uses_containers():
        pytest.skip(f"{ENV_TEST_STACK}=containers: the local stack is not used")
    stack = LocalStack(integration_stack_config(), report=_report)
    with shared_stack(stack):
        yield stack


@pytest.fixture(scope="session")
def stack_endpoints(request: pytest.FixtureRequest) -> Iterator[StackEndpoints]:
    if _uses_containers():
        yield from _container_endpoints()
        return
    stack: LocalStack = request.getfixturevalue("local_stack")
    yield StackEndpoints(stack.config.kafka_bootstrap, stack.config.database_url)


def _container_endpoints() -> Iterator[StackEndpoints]:
    try:
        import docker

        docker.from_env().ping()
    except Exception as error:  # DockerException, connection errors, missing package
        pytest.skip(
            f"{ENV_TEST_STACK}=containers but no Docker engine answers ({error}); "
            f"unset {ENV_TEST_STACK} to use the local stack instead"
        )
    try:  # testcontainers >= 4.13 moved the modules under `community`
        from testcontainers.community.kafka import KafkaContainer
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer(KAFKA_IMAGE).with_kraft()
    postgres = PostgresContainer(
        POSTGRES_IMAGE,
        username="streamview",
        password="streamview",
        dbname="streamview",
        driver=None,  # a plain postgresql:// URL, as psycopg 3 wants
    )
    with kafka, postgres:
        yield StackEndpoints(kafka.get_bootstrap_server(), postgres.get_connection_url())


@pytest.fixture(scope="session")
def registry_url() -> Iterator[str]:
    """A real schema registry's Confluent API base URL (Apicurio, in a stack dir of its own),
    up for the whole session; shared with concurrent sessions like the test stack."""
    if _uses_containers():
        pytest.skip(f"{ENV_TEST_STACK}=containers: the local registry is not used")
    stack = RegistryOnlyStack(registry_stack_config(integration_stack_config()), _report)
    with shared_stack(stack):  # type: ignore[arg-type]
        yield stack.node.url


@pytest.fixture
def disposable_registry(tmp_path: Path) -> Iterator[RegistryNode]:
    """A schema registry of the test alone (a RegistryNode, its data on disk), to stop and
    start again."""
    if _uses_containers():
        pytest.skip(f"{ENV_TEST_STACK}=containers: the local registry is not used")
    with disposable_registry_node(
        integration_stack_config(), tmp_path / "registry", _report
    ) as node:
        yield node


@pytest.fixture
def database_url(stack_endpoints: StackEndpoints) -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards even if connections remain."""
    with new_database(stack_endpoints.admin_database_url) as url:
        yield url


@pytest.fixture
def new_topic(stack_endpoints: StackEndpoints) -> Iterator[Callable[..., str]]:
    """Factory for topics unique to the test, each with its .dlq; all deleted afterwards."""
    with topic_factory(stack_endpoints.kafka_bootstrap) as make:
        yield make


@pytest.fixture
def group_id() -> str:
    return f"sv-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def disposable_postgres() -> Iterator[PostgresNode]:
    with disposable_postgres_node() as node:
        yield node
