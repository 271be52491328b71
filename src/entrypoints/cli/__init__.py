"""The `streamview` command: one click group, one module per command family."""

from __future__ import annotations

import importlib

import click

# Each module defines a click command or group named `command`.
_COMMAND_MODULES = (
    "devtools.cli.stack",
    "entrypoints.cli.migrate",
    "entrypoints.cli.run",
    "entrypoints.cli.consume",
    "entrypoints.cli.serve",
    "devtools.cli.produce",
    "devtools.cli.token",
    "entrypoints.cli.rebuild",
    "devtools.cli.demo",
    "devtools.cli.bench",
    "entrypoints.cli.schemas",
    "entrypoints.cli.dlq",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """StreamView: Kafka event streams materialized into fast Postgres read views."""


for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a command family not written yet
        if exc.name != _name:
            raise
        continue
    main.add_command(_module.command)
