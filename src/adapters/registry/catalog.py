"""The schemas a registry holds by subject: registering, checking and listing them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from schema_registry.client import AsyncSchemaRegistryClient
from schema_registry.client.errors import ClientError

from domain.wire_format import WireFormat

SchemaType = Literal["AVRO", "JSON"]
COMPATIBILITY = "BACKWARD"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def schema_type(wire_format: WireFormat) -> SchemaType:
    return "AVRO" if wire_format is WireFormat.AVRO else "JSON"


@dataclass(frozen=True)
class Verdict:
    compatible: bool
    reason: str = ""


@dataclass(frozen=True)
class SubjectInfo:
    subject: str
    versions: tuple[int, ...]
    latest_id: int | None


class RegistryRefused(Exception):
    """The registry answered no: an incompatible or invalid schema, or no access."""


class RegistryCatalog:
    """Subjects and versions of a Confluent-compatible registry (python-schema-registry-client)."""

    def __init__(self, client: AsyncSchemaRegistryClient) -> None:
        self._client = client

    async def register(self, subject: str, schema: dict[str, Any], kind: WireFormat) -> int:
        """The schema's id, registering it as the subject's next version unless it is one
        already (idempotent). The subject is held to BACKWARD first: a registry's default
        may be laxer (Apicurio's is NONE)."""
        try:
            existing = await self._client.get_versions(subject)
            if existing:
                await self._client.update_compatibility(COMPATIBILITY, subject)
            schema_id = await self._client.register(
                subject, as_registered(schema), schema_type=schema_type(kind)
            )
            if not existing:  # a subject's config can only be set once it exists
                await self._client.update_compatibility(COMPATIBILITY, subject)
        except ClientError as error:
            raise RegistryRefused(f"{subject}: {_explained(error)}") from None
        return int(schema_id)

    async def check(self, subject: str, schema: dict[str, Any], kind: WireFormat) -> Verdict:
        """Whether `schema` may become the subject's next version under BACKWARD (a subject
        that does not exist yet takes anything)."""
        if not await self._client.get_versions(subject):
            return Verdict(True, "new subject")
        try:
            answer = await self._client.test_compatibility(
                subject, as_registered(schema), verbose=True, schema_type=schema_type(kind)
            )
        except ClientError as error:
            return Verdict(False, f"the registry could not check it: {_explained(error)}")
        if isinstance(answer, dict):
            compatible = bool(answer.get("is_compatible"))
            reason = answer.get("reason") or "; ".join(map(str, answer.get("messages") or []))
            return Verdict(compatible, str(reason))
        return Verdict(bool(answer))

    async def subjects(self) -> list[SubjectInfo]:
        found = []
        for name in sorted(await self._client.get_subjects()):
            versions = tuple(sorted(int(v) for v in await self._client.get_versions(name)))
            latest = await self._client.get_schema(name) if versions else None
            found.append(SubjectInfo(name, versions, latest.schema_id if latest else None))
        return found


def as_registered(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema declaring draft 2020-12 is registered declaring draft 7: Apicurio 2.6
    checks compatibility with a draft-7 library, which fails on 2020-12 ("could not determine
    version"). The committed schemas only use keywords that mean the same in both drafts
    (`$defs` is reached through a plain JSON pointer). Avro schemas are sent as they are."""
    if schema.get("$schema") == DRAFT_2020_12:
        return {**schema, "$schema": DRAFT_07}
    return schema


def _explained(error: ClientError) -> str:
    detail = getattr(error, "server_traceback", None)
    if isinstance(detail, dict):
        detail = detail.get("message") or json.dumps(detail)
    return f"{error.message} (HTTP {error.http_code}): {detail}"
