"""The committed schemas and a schema registry, for the CLI: registering them, checking them
against what the registry holds, and the ids producers frame values with."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.registry.catalog import RegistryCatalog, RegistryRefused, SubjectInfo, Verdict
from adapters.registry.framing import Reframer
from adapters.registry.local_schemas import LocalSchema, latest, local_schemas
from adapters.registry.source import registry_client
from domain.wire_format import WireFormat, subject
from entrypoints.generator import OutgoingRecord

Report = Callable[[str], None]


def committed_schemas_dir() -> Path:
    """deploy/schemas of the checkout this package runs from (editable install), else ./"""
    for parent in Path(__file__).resolve().parents:
        if (parent / "deploy" / "schemas").is_dir():
            return parent / "deploy" / "schemas"
    return Path("deploy/schemas")


def catalog_for(url: str, user: str | None = None, password: str | None = None) -> RegistryCatalog:
    return RegistryCatalog(registry_client(url, user, password))


async def register_all(
    catalog: RegistryCatalog, directory: Path, topic: str, report: Report
) -> dict[LocalSchema, int]:
    """Every local schema, oldest version first, under its subject; idempotent."""
    ids = {}
    for schema in local_schemas(directory):
        name = subject(topic, schema.event_type, schema.wire_format)
        ids[schema] = await catalog.register(name, schema.load(), schema.wire_format)
        report(f"{name}: {schema.path.name} is schema id {ids[schema]}")
    return ids


async def check_all(
    catalog: RegistryCatalog, directory: Path, topic: str
) -> list[tuple[str, LocalSchema, Verdict]]:
    """Each type's newest local schema against its subject's latest version (BACKWARD)."""
    verdicts = []
    for schema in latest(local_schemas(directory)):
        name = subject(topic, schema.event_type, schema.wire_format)
        verdicts.append(
            (name, schema, await catalog.check(name, schema.load(), schema.wire_format))
        )
    return verdicts


async def writers(
    catalog: RegistryCatalog, directory: Path, topic: str, wire_format: WireFormat
) -> dict[str, tuple[int, dict[str, Any] | None]]:
    """For each event type, the id of its newest local schema in this format (registered
    first, with the older versions) and, for Avro, the schema itself: what a producer frames
    its values with."""
    ids = await register_all(catalog, directory, topic, lambda _message: None)
    found: dict[str, tuple[int, dict[str, Any] | None]] = {}
    for schema in latest(list(ids)):
        if schema.wire_format is wire_format:
            avro = schema.load() if wire_format is WireFormat.AVRO else None
            found[schema.event_type] = (ids[schema], avro)
    return found


__all__ = [
    "RegistryRefused",
    "SubjectInfo",
    "catalog_for",
    "check_all",
    "committed_schemas_dir",
    "reframing",
    "register_all",
    "writers",
]


FORMATS = ("json", "avro", "json-schema", "mixed")
_FRAMED = (WireFormat.AVRO, WireFormat.JSON_SCHEMA)


async def reframing(
    catalog: RegistryCatalog, directory: Path, topic: str, format_name: str
) -> Callable[[OutgoingRecord], OutgoingRecord]:
    """What `produce --format` does to each generated record: `mixed` keeps a third of the
    orders bare JSON and frames the others as Avro or JSON Schema (by order key, so an order's
    events share a format)."""
    wanted = _FRAMED if format_name == "mixed" else (WireFormat(format_name),)
    reframers = [Reframer(f, await writers(catalog, directory, topic, f)) for f in wanted]

    def reframed(record: OutgoingRecord) -> OutgoingRecord:
        if format_name == "mixed":
            share = zlib.crc32(record.key) % 3
            if share == 0:
                return record
            reframer = reframers[share - 1]
        else:
            reframer = reframers[0]
        return OutgoingRecord(record.key, reframer.value(record.value), record.headers)

    return reframed
