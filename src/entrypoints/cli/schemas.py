"""`streamview schemas export`: the event JSON Schemas under deploy/schemas, generated from the
msgspec event types so that the published contract cannot drift from the decoder.

One file per event type and schema version (`OrderCreated.v1.json`, the version being the
`x-event-version` header). tests/unit/test_event_schemas.py fails when a type changes in a way
that is not BACKWARD compatible with its committed file, and when the files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import msgspec

from domain.decoding import SUPPORTED_VERSIONS
from domain.events import EVENT_TYPES

SCHEMA_VERSION = max(SUPPORTED_VERSIONS)
DEFAULT_DIR = Path("deploy/schemas")

Schema = dict[str, Any]


def file_name(event_type: str, version: int = SCHEMA_VERSION) -> str:
    return f"{event_type}.v{version}.json"


def event_schema(event_type: str) -> Schema:
    schema = msgspec.json.schema(EVENT_TYPES[event_type])
    _decimals_accept_numbers(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:streamview:event:{event_type}:v{SCHEMA_VERSION}",
        "title": f"{event_type} (x-event-version {SCHEMA_VERSION})",
        **schema,
    }


def _decimals_accept_numbers(node: Any) -> None:
    """msgspec decodes a Decimal from a JSON string or number (CONTRACT §1 allows both for
    price and taxRate), but its schema only says string."""
    if isinstance(node, dict):
        if node.get("format") == "decimal" and node.get("type") == "string":
            node["type"] = ["string", "number"]
        for value in node.values():
            _decimals_accept_numbers(value)
    elif isinstance(node, list):
        for value in node:
            _decimals_accept_numbers(value)


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """File name -> file text, for every event type at the current version."""
    return {file_name(name): render(event_schema(name)) for name in EVENT_TYPES}


@click.group("schemas")
def command() -> None:
    """Event schemas (deploy/schemas): JSON Schemas generated from the event types, Avro
    schemas beside them, and a schema registry."""


@command.command("export")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Where the schema files live.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file is missing or stale.")
def export(directory: Path, check: bool) -> None:
    """Write one schema file per event type and version."""
    files = generated()
    stale = [
        name
        for name, text in files.items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != text
    ]
    if check:
        if stale:
            raise click.ClickException(
                f"stale in {directory}: {', '.join(stale)}; run `streamview schemas export`"
            )
        click.echo(f"{len(files)} schemas in {directory} are up to date")
        return
    directory.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (directory / name).write_text(files[name], encoding="utf-8")
    click.echo(f"wrote {len(stale)} of {len(files)} schemas to {directory}")


def _registry_commands() -> None:
    from entrypoints.cli.registry_schemas import check, list_subjects, register

    for registry_command in (register, check, list_subjects):
        command.add_command(registry_command)


_registry_commands()
