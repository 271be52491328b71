"""The Kafka ACLs StreamView needs, and creating or deleting them with an admin client.

StreamView's principal needs exactly (README, "Production"):
- READ on the consumed topic: the worker's fetches and the rebuild's replay (which uses no
  group); READ implies DESCRIBE, which metadata and the end offsets of `/lags` need;
- DESCRIBE_CONFIGS on the consumed topic: the guard rails read `cleanup.policy` and
  `retention.ms` at start;
- READ on the consumer group: joining it and committing its offsets;
- WRITE on the dead-letter topic: the DLQ producer. Since Kafka 2.8 an idempotent producer
  needs no IDEMPOTENT_WRITE on the cluster: WRITE on a topic allows InitProducerId.

aiokafka's admin client has no ACL calls, but its protocol module has the requests.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest


class Resource(enum.IntEnum):
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4


class Operation(enum.IntEnum):
    READ = 3
    WRITE = 4
    DESCRIBE = 8
    DESCRIBE_CONFIGS = 10
    IDEMPOTENT_WRITE = 12


_LITERAL = 3
_ALLOW = 3
_ANY_HOST = "*"


@dataclass(frozen=True)
class Acl:
    """ALLOW `operation` on the resource named literally, from any host."""

    principal: str  # "User:streamview"
    resource: Resource
    name: str
    operation: Operation

    def __str__(self) -> str:
        return f"{self.operation.name} on {self.resource.name.lower()} {self.name!r}"


def needed_acls(principal: str, topic: str, dlq_topic: str, group: str) -> list[Acl]:
    user = principal if principal.startswith("User:") else f"User:{principal}"
    return [
        Acl(user, Resource.TOPIC, topic, Operation.READ),
        Acl(user, Resource.TOPIC, topic, Operation.DESCRIBE_CONFIGS),
        Acl(user, Resource.GROUP, group, Operation.READ),
        Acl(user, Resource.TOPIC, dlq_topic, Operation.WRITE),
    ]


async def create_acls(admin: AIOKafkaAdminClient, acls: list[Acl]) -> dict[str, str]:
    """Create each ACL (an existing one is kept); returns {acl: problem} for failures."""
    problems = {}
    for acl in acls:
        request = CreateAclsRequest(
            acl.resource, acl.name, _LITERAL, acl.principal, _ANY_HOST, acl.operation, _ALLOW
        )
        response = await admin._send_request(request)  # no public call
        for code, message in response.creation_responses:
            if code != 0:
                problems[str(acl)] = f"error {code}: {message}"
    return problems


async def delete_acls(admin: AIOKafkaAdminClient, acls: list[Acl]) -> dict[str, str]:
    """Delete each ACL (a missing one is fine); returns {acl: problem} for failures."""
    problems = {}
    for acl in acls:
        request = DeleteAclsRequest(
            acl.resource, acl.name, _LITERAL, acl.principal, _ANY_HOST, acl.operation, _ALLOW
        )
        response = await admin._send_request(request)  # no public call
        for result in response.filter_responses:
            if result[0] != 0:
                problems[str(acl)] = f"error {result[0]}: {result[1]}"
    return problems
