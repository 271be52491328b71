"""`streamview demo`: see StreamView work, on the real local stack or all in memory."""

from __future__ import annotations

import os
import tempfile
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from devtools.generator import GeneratorOptions

if TYPE_CHECKING:
    from litestar import Litestar

    from adapters.memory.topic import MemoryTopic


@click.command("demo")
@click.option(
    "--in-memory", is_flag=True, help="No Kafka, no Postgres: everything in this process."
)
@click.option("--orders", default=20_000, show_default=True, help="Orders in the backlog.")
@click.option("--rate", default=20.0, show_default=True, help="Live events per second after it.")
@click.option("--port", default=8080, show_default=True, help="HTTP port of the API.")
@click.option("--duration", type=float, default=None, help="Stop after this many live seconds.")
@click.option("--use-existing", is_flag=True, help="Use STREAMVIEW_* Kafka/Postgres, no stack up.")
@click.option("--seed", default=42, show_default=True, help="Random seed of the generator.")
@click.option(
    "--secure", is_flag=True, help="On `stack up --secure`: mTLS, ACLs, PostgreSQL over TLS."
)
def command(
    in_memory: bool,
    orders: int,
    rate: float,
    port: int,
    duration: float | None,
    use_existing: bool,
    seed: int,
    secure: bool,
) -> None:
    """Run StreamView over demo orders and print where to look.

    Without --in-memory this is `make demo`: it starts Kafka and PostgreSQL locally,
    migrates, runs worker + API, publishes a backlog and then a live trickle.

    \b
    Examples:
      streamview demo                         # the real thing (what `make demo` runs)
      streamview demo --duration 30           # bounded run, then stops everything
      streamview demo --in-memory             # no Java, no Postgres
      streamview demo --secure                # mTLS, ACLs, PostgreSQL over TLS
      curl 'localhost:8080/orders?pageSize=5'
    """
    if not in_memory:
        from devtools.demo import DemoOptions, run_demo

        options = DemoOptions(
            orders=orders,
            rate=rate,
            port=port,
            duration=duration,
            use_existing=use_existing,
            secure=secure,
            log_dir=Path(tempfile.gettempdir()),
        )
        raise SystemExit(run_demo(options))
    _in_memory(orders, rate, port, seed)


def _in_memory(orders: int, rate: float, port: int, seed: int) -> None:
    import uvicorn

    from devtools.demo import DEMO_VIEWS
    from devtools.memory_demo import memory_pipeline
    from entrypoints.asgi import create_app_from_container
    from entrypoints.bootstrap import build_container
    from entrypoints.settings import Settings

    views = os.environ.get("STREAMVIEW_VIEWS", DEMO_VIEWS)
    container = build_container(Settings.from_env(backend="memory", dev_mode=True, views=views))
    options = GeneratorOptions(
        orders=orders,
        seed=seed,
        duplicate_fraction=0.02,
        reorder_fraction=0.02,
        poison_fraction=0.002,
    )

    def pipeline(_app: Litestar) -> AbstractAsyncContextManager[MemoryTopic]:
        return memory_pipeline(container, options, trickle_rate=rate)

    app = create_app_from_container(container, lifespan=[pipeline])
    click.echo(f"StreamView in-memory demo on http://localhost:{port}  (Ctrl-C to stop)", err=True)
    click.echo(f"  curl 'localhost:{port}/orders?pageSize=5'", err=True)
    click.echo(f"  curl 'localhost:{port}/customers?sort=-orderCount&pageSize=5'", err=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
