"""Generated records framed for a schema registry, for `produce --format`, the demo and the
bench: each event type's newest committed schema registered, its id put on the values."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.registry.catalog import RegistryCatalog
from adapters.registry.framing import Reframer
from adapters.registry.local_schemas import latest
from devtools.generator import OutgoingRecord
from domain.wire_format import WireFormat
from entrypoints.registry_tools import catalog_for, committed_schemas_dir, register_all

__all__ = ["FORMATS", "catalog_for", "committed_schemas_dir", "reframing", "writers"]


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
