"""The event schemas committed under deploy/schemas: `<Type>.v<n>.avsc` (Avro) and
`<Type>.v<n>.json` (JSON Schema), each version of a type a file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.wire_format import WireFormat

_FILE = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9]*)\.v(?P<version>[0-9]+)\.(?P<ext>avsc|json)$")


@dataclass(frozen=True)
class LocalSchema:
    event_type: str
    wire_format: WireFormat
    version: int
    path: Path

    def load(self) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        return schema


def local_schemas(directory: Path) -> list[LocalSchema]:
    """Every schema file of `directory`, by type, format, then version (oldest first)."""
    found = []
    for path in directory.iterdir():
        match = _FILE.match(path.name)
        if match is None:
            continue
        kind = WireFormat.AVRO if match["ext"] == "avsc" else WireFormat.JSON_SCHEMA
        found.append(LocalSchema(match["type"], kind, int(match["version"]), path))
    return sorted(found, key=lambda s: (s.event_type, s.wire_format, s.version))


def latest(schemas: list[LocalSchema]) -> list[LocalSchema]:
    """The newest version of each type and format."""
    newest: dict[tuple[str, WireFormat], LocalSchema] = {}
    for schema in schemas:
        newest[(schema.event_type, schema.wire_format)] = schema  # sorted: the last wins
    return list(newest.values())
