"""The committed schemas and a schema registry, for `streamview schemas`: registering them and
checking them against what the registry holds (`devtools.registry_framing` frames the
generated records with their ids)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.registry.catalog import RegistryCatalog, RegistryRefused, SubjectInfo, Verdict
from adapters.registry.local_schemas import LocalSchema, latest, local_schemas
from adapters.registry.source import registry_client
from domain.wire_format import subject

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


__all__ = [
    "RegistryRefused",
    "SubjectInfo",
    "catalog_for",
    "check_all",
    "committed_schemas_dir",
    "register_all",
]
