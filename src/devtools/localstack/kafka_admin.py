"""Talking to the broker with aiokafka's admin client: readiness and topics.

The functions are synchronous on purpose: `stack up`, the CLI and session fixtures are not
async. Each runs its coroutine with asyncio.run in a short-lived thread, so it also works when
called from code that already runs an event loop (an async test calling a sync fixture factory).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from adapters.kafka.acls import Acl
from adapters.kafka.acls import create_acls as _create_acls
from adapters.kafka.acls import delete_acls as _delete_acls
from adapters.kafka.security import PLAINTEXT, KafkaSecurity

T = TypeVar("T")

# Kafka protocol error codes that mean "this topic is as wanted".
_NO_ERROR = 0
_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3


def run_sync(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make_coroutine()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _with_admin(
    bootstrap: str,
    timeout_ms: int,
    use: Callable[[AIOKafkaAdminClient], Awaitable[T]],
    security: KafkaSecurity = PLAINTEXT,
) -> T:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=timeout_ms,
        client_id="streamview-stack",
        **security.client_kwargs(),
    )
    await admin.start()
    try:
        return await use(admin)
    finally:
        await admin.close()


def broker_answers(
    bootstrap: str, timeout_ms: int = 3000, security: KafkaSecurity = PLAINTEXT
) -> bool:
    """True when the broker answers a metadata request (an open port alone is not enough)."""

    async def describe(admin: AIOKafkaAdminClient) -> bool:
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))

    try:
        return run_sync(lambda: _with_admin(bootstrap, timeout_ms, describe, security))
    except (TimeoutError, KafkaError, OSError):
        return False


def create_topics(
    bootstrap: str,
    partitions_by_topic: Mapping[str, int],
    visible_within_s: float = 15.0,
    security: KafkaSecurity = PLAINTEXT,
    configs: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create the topics that don't exist yet and wait until they can be used.

    Returns {topic: problem} for those that failed. CreateTopics answers once the controller
    has recorded a topic, before the broker's metadata shows it: a consumer subscribing at
    that moment would see no partitions. Hence the wait for every partition to have a leader.
    """

    async def create(admin: AIOKafkaAdminClient) -> dict[str, str]:
        wanted = [
            NewTopic(name, count, 1, topic_configs=dict(configs or {}))
            for name, count in partitions_by_topic.items()
        ]
        response = await admin.create_topics(wanted)
        problems = {
            topic: f"error {code}: {message}"
            for topic, code, message in response.topic_errors
            if code not in (_NO_ERROR, _TOPIC_ALREADY_EXISTS)
        }
        if problems:
            return problems
        return await _wait_until_led(admin, list(partitions_by_topic), visible_within_s)

    return run_sync(lambda: _with_admin(bootstrap, 10_000, create, security))


async def _wait_until_led(
    admin: AIOKafkaAdminClient, topics: list[str], timeout_s: float
) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        waiting = set(topics)
        for described in await admin.describe_topics(topics):
            partitions = described["partitions"]
            if (
                described["error_code"] == _NO_ERROR
                and partitions
                and all(partition["leader"] >= 0 for partition in partitions)
            ):
                waiting.discard(described["topic"])
        if not waiting:
            return {}
        if time.monotonic() > deadline:
            return {
                topic: f"no leader for every partition after {timeout_s} s" for topic in waiting
            }
        await asyncio.sleep(0.05)


def delete_topics(
    bootstrap: str, topics: list[str], security: KafkaSecurity = PLAINTEXT
) -> dict[str, str]:
    """Delete the topics; a topic already gone is fine. Returns {topic: problem} for failures."""

    async def delete(admin: AIOKafkaAdminClient) -> dict[str, str]:
        response = await admin.delete_topics(topics)
        return {
            topic: f"error {code}"
            for topic, code in response.topic_error_codes
            if code not in (_NO_ERROR, _UNKNOWN_TOPIC)
        }

    return run_sync(lambda: _with_admin(bootstrap, 10_000, delete, security))


def create_acls(bootstrap: str, acls: list[Acl], security: KafkaSecurity) -> dict[str, str]:
    """Create the ACLs (as a principal allowed to); returns {acl: problem} for failures."""
    return run_sync(
        lambda: _with_admin(bootstrap, 10_000, lambda admin: _create_acls(admin, acls), security)
    )


def delete_acls(bootstrap: str, acls: list[Acl], security: KafkaSecurity) -> dict[str, str]:
    return run_sync(
        lambda: _with_admin(bootstrap, 10_000, lambda admin: _delete_acls(admin, acls), security)
    )
