"""The API in memory mode with one ops controller of a test's making, behind an HS256 secret."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from adapters.http import OpsPolicy, UseCases, create_app
from adapters.memory.topic import MemoryTopic
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings


def memory_app_with(controller: Any, secret: str, topic: MemoryTopic | None = None) -> Litestar:
    container = build_container(
        Settings.from_env({}, dev_mode=True, backend="memory", ops_jwt_secret=secret)
    )
    if topic is not None:
        container.infrastructure.end_offsets.override(topic)
    use_cases = UseCases(
        get_order=container.read_side.get_order,
        list_orders=container.read_side.list_orders,
        report_lag=container.ops.report_lag,
        readiness_probes=container.ops.readiness_probes,
    )
    return create_app(
        use_cases, ops_policy=OpsPolicy.shared_secret(secret), ops_controllers=[controller]
    )
