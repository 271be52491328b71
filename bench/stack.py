"""The benchmark's own Kafka and PostgreSQL: the project's local stack on ports of its own.

A stack of its own means `make bench` never disturbs a developer's `streamview stack up`
(ports 9092/5432) or the test stack (19092/15432), and its data can be thrown away.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devtools.localstack import LocalStack, StackConfig
from devtools.localstack.config import ENV_CACHE_DIR, ENV_KAFKA_VERSION, default_state_dir

ENV_BENCH_STATE_DIR = "STREAMVIEW_BENCH_STATE_DIR"
ENV_BENCH_KAFKA_PORT = "STREAMVIEW_BENCH_KAFKA_PORT"
ENV_BENCH_POSTGRES_PORT = "STREAMVIEW_BENCH_POSTGRES_PORT"
BENCH_KAFKA_PORT = 29092
BENCH_POSTGRES_PORT = 25432
ENV_BENCH_REGISTRY_PORT = "STREAMVIEW_BENCH_REGISTRY_PORT"
BENCH_REGISTRY_PORT = 28081


def bench_stack() -> LocalStack:
    shared = {
        key: value
        for key, value in os.environ.items()
        if key in (ENV_CACHE_DIR, ENV_KAFKA_VERSION, "XDG_CACHE_HOME")
    }
    default_dir = default_state_dir({}, as_root=os.geteuid() == 0)
    kafka_port = int(os.environ.get(ENV_BENCH_KAFKA_PORT, BENCH_KAFKA_PORT))
    config = StackConfig.from_env(
        env=shared,
        state_dir=Path(os.environ.get(ENV_BENCH_STATE_DIR) or f"{default_dir}-bench"),
        kafka_port=kafka_port,
        kafka_controller_port=kafka_port + 1,
        postgres_port=int(os.environ.get(ENV_BENCH_POSTGRES_PORT, BENCH_POSTGRES_PORT)),
        registry_port=int(os.environ.get(ENV_BENCH_REGISTRY_PORT, BENCH_REGISTRY_PORT)),
        topic_partitions=1,
    )
    return LocalStack(
        config, report=lambda message: print(f"[bench stack] {message}", file=sys.stderr)
    )
