"""`streamview schemas register | check | list`: the committed event schemas and a schema
registry (STREAMVIEW_SCHEMA_REGISTRY_URL, or --registry-url)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _options(command: F) -> F:
    options = [
        click.option(
            "--registry-url",
            default=None,
            help="Confluent API base URL [env STREAMVIEW_SCHEMA_REGISTRY_URL].",
        ),
        click.option("--topic", default=None, help="Topic of the subjects [env STREAMVIEW_TOPIC]."),
        click.option(
            "--dir",
            "directory",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            default=None,
            help="Where the .avsc and .json schema files live [deploy/schemas].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _directory(directory: Path | None) -> Path:
    from entrypoints.registry_tools import committed_schemas_dir

    return directory or committed_schemas_dir()


def _settings(registry_url: str | None, topic: str | None) -> tuple[Any, str]:
    from entrypoints.registry_tools import catalog_for
    from entrypoints.settings import Settings

    settings = Settings.from_env()
    url = registry_url or settings.schema_registry_url
    if not url:
        raise click.ClickException(
            "no schema registry: set STREAMVIEW_SCHEMA_REGISTRY_URL or pass --registry-url "
            "(`streamview stack up` prints the local one)"
        )
    user, password = settings.schema_registry_user, settings.schema_registry_password
    return catalog_for(url, user, password), topic or settings.topic


def _run(work: Any) -> Any:
    from httpx import HTTPError

    from entrypoints.registry_tools import RegistryRefused

    try:
        return asyncio.run(work)
    except RegistryRefused as refused:
        raise click.ClickException(f"the registry refused: {refused}") from None
    except HTTPError as error:
        raise click.ClickException(f"the registry cannot be reached: {error!r}") from None


@click.command("register")
@_options
def register(registry_url: str | None, topic: str | None, directory: Path | None) -> None:
    """Register every local schema under its subject (idempotent; subjects held to BACKWARD)."""
    from entrypoints.registry_tools import register_all

    catalog, topic_name = _settings(registry_url, topic)
    ids = _run(register_all(catalog, _directory(directory), topic_name, click.echo))
    click.echo(f"{len(ids)} schemas registered", err=True)


@click.command("check")
@_options
def check(registry_url: str | None, topic: str | None, directory: Path | None) -> None:
    """Each local schema against the registry's latest under BACKWARD; exit 1 if any is not
    compatible. The contract test a producer team runs in its CI."""
    from entrypoints.registry_tools import check_all

    catalog, topic_name = _settings(registry_url, topic)
    verdicts = _run(check_all(catalog, _directory(directory), topic_name))
    refused = 0
    for name, schema, verdict in verdicts:
        if verdict.compatible:
            click.echo(f"ok            {name}: {schema.path.name} {verdict.reason}".rstrip())
        else:
            refused += 1
            reason = verdict.reason or "the registry gave no reason"
            click.echo(f"INCOMPATIBLE  {name}: {schema.path.name}: {reason}")
    if refused:
        raise click.ClickException(
            f"{refused} of {len(verdicts)} schemas are not BACKWARD compatible with the registry"
        )


@click.command("list")
@click.option("--registry-url", default=None, help="[env STREAMVIEW_SCHEMA_REGISTRY_URL]")
def list_subjects(registry_url: str | None) -> None:
    """The registry's subjects, their versions and the latest version's schema id."""
    catalog, _topic = _settings(registry_url, None)
    for info in _run(catalog.subjects()):
        versions = ",".join(map(str, info.versions))
        click.echo(f"{info.subject}  versions {versions}  latest id {info.latest_id}")
