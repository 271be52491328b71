"""`streamview demo`: see StreamView work, in memory or on the real local stack."""

from __future__ import annotations

import click

from entrypoints.generator import GeneratorOptions


@click.command("demo")
@click.option(
    "--in-memory", is_flag=True, help="No Kafka, no Postgres: everything in this process."
)
@click.option("--orders", default=2000, show_default=True, help="Orders in the backlog.")
@click.option("--rate", default=5.0, show_default=True, help="Live events per second after it.")
@click.option("--port", default=8080, show_default=True, help="HTTP port of the API.")
@click.option("--seed", default=42, show_default=True, help="Random seed of the generator.")
def command(in_memory: bool, orders: int, rate: float, port: int, seed: int) -> None:
    """Serve the API over generated demo orders.

    \b
    Examples:
      streamview demo --in-memory
      curl 'localhost:8080/orders?pageSize=5'
    """
    if not in_memory:
        raise click.UsageError("the real-stack demo is `make demo`; use --in-memory here")
    import uvicorn

    from entrypoints.asgi import create_app_from_container
    from entrypoints.container import build_container
    from entrypoints.memory_demo import memory_pipeline
    from entrypoints.settings import Settings

    container = build_container(Settings.from_env(backend="memory"))
    options = GeneratorOptions(
        orders=orders,
        seed=seed,
        duplicate_fraction=0.02,
        reorder_fraction=0.02,
        poison_fraction=0.002,
    )

    def pipeline(_app: object) -> object:
        return memory_pipeline(container, options, trickle_rate=rate)

    app = create_app_from_container(container, lifespan=[pipeline])
    click.echo(f"StreamView in-memory demo on http://localhost:{port}  (Ctrl-C to stop)", err=True)
    click.echo(f"  curl 'localhost:{port}/orders?pageSize=5'", err=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
