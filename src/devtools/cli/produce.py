"""`streamview produce`: generated order events onto the topic."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from devtools.generator import GeneratorOptions, generate


@click.command("produce")
@click.option("--orders", default=1000, show_default=True, help="Number of orders.")
@click.option("--events-per-order", default=5, show_default=True, help="Events per order.")
@click.option("--rate", default=0.0, show_default=True, help="Events/s; 0 = as fast as possible.")
@click.option("--duplicates", default=0.0, show_default=True, help="Fraction duplicated.")
@click.option("--reorder", default=0.0, show_default=True, help="Fraction swapped with the next.")
@click.option("--poison", default=0.0, show_default=True, help="Fraction of poison records.")
@click.option("--seed", default=42, show_default=True, help="Generator seed (same seed, same log).")
@click.option("--prefix", default="ord", show_default=True, help="Order id prefix.")
@click.option("--topic", default=None, help="Topic (default: STREAMVIEW_TOPIC).")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["json", "avro", "json-schema", "mixed"]),
    default="json",
    show_default=True,
    help="Bare JSON, or registry-framed Avro / JSON Schema (STREAMVIEW_SCHEMA_REGISTRY_URL; "
    "the schemas of deploy/schemas are registered first); mixed: a third of the orders each.",
)
def command(
    orders: int,
    events_per_order: int,
    rate: float,
    duplicates: float,
    reorder: float,
    poison: float,
    seed: int,
    prefix: str,
    topic: str | None,
    format_name: str,
) -> None:
    """Publish generated order histories to Kafka, with a progress bar.

    \b
    Examples:
      streamview produce --orders 20000 --duplicates 0.02 --reorder 0.02 --poison 0.001
      streamview produce --orders 1000000000 --rate 50 --prefix live   # a live trickle
      streamview produce --orders 1000 --format avro                  # registry-framed Avro
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from adapters.kafka.security import kafka_security
    from devtools.producing import publish
    from entrypoints.settings import Settings

    settings = Settings.from_env()
    options = GeneratorOptions(
        orders=orders,
        events_per_order=events_per_order,
        duplicate_fraction=duplicates,
        reorder_fraction=reorder,
        poison_fraction=poison,
        seed=seed,
        order_prefix=prefix,
    )
    records = generate(options)
    if format_name != "json":
        records = map(_reframing(settings, topic or settings.topic, format_name), records)
    expected = int(orders * events_per_order * (1 + duplicates + poison))
    columns = (*Progress.get_default_columns()[:2], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), transient=False) as bar:
        task = bar.add_task(f"producing to {topic or settings.topic}", total=expected)
        sent = asyncio.run(
            publish(
                settings.kafka_bootstrap,
                topic or settings.topic,
                records,
                rate=rate,
                progress=lambda n: bar.update(task, completed=n),
                security=kafka_security(settings.as_dict()),
            )
        )
        bar.update(task, completed=sent, total=sent)
    click.echo(f"produced {sent} records", err=True)


def _reframing(settings: Any, topic: str, format_name: str) -> Any:
    from devtools.registry_framing import catalog_for, committed_schemas_dir, reframing
    from entrypoints.cli.registry_schemas import _run

    if not settings.schema_registry_url:
        raise click.ClickException(
            f"--format {format_name} needs a schema registry: set STREAMVIEW_SCHEMA_REGISTRY_URL"
        )
    catalog = catalog_for(
        settings.schema_registry_url,
        settings.schema_registry_user,
        settings.schema_registry_password,
    )
    return _run(reframing(catalog, committed_schemas_dir(), topic, format_name))
