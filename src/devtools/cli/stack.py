"""`streamview stack up | down | status`: the local Kafka + PostgreSQL of docs/local-stack.md.

`up` prints only `export ...` lines on stdout, so `eval "$(streamview stack up)"` works;
everything meant for a person goes to stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from devtools.localstack import LocalStack, StackConfig, StackError

F = TypeVar("F", bound=Callable[..., Any])


def _say(message: str) -> None:
    click.echo(message, err=True)


def _stack_options(command: F) -> F:
    """Options shared by every subcommand; each defaults to its environment variable."""
    options = [
        click.option(
            "--state-dir",
            type=click.Path(path_type=Path),
            default=None,
            help="Data, logs and pid files [env STREAMVIEW_STATE_DIR].",
        ),
        click.option(
            "--kafka-port",
            type=int,
            default=None,
            help="Kafka broker port, 9092 [env STREAMVIEW_STACK_KAFKA_PORT].",
        ),
        click.option(
            "--kafka-controller-port",
            type=int,
            default=None,
            help="KRaft controller port, broker port + 1 "
            "[env STREAMVIEW_STACK_KAFKA_CONTROLLER_PORT].",
        ),
        click.option(
            "--postgres-port",
            type=int,
            default=None,
            help="PostgreSQL port, 5432 [env STREAMVIEW_STACK_POSTGRES_PORT].",
        ),
        click.option(
            "--secure",
            is_flag=True,
            default=None,
            help="The secured stack: Kafka with mTLS, SASL_SSL/SCRAM and ACLs, PostgreSQL "
            "with TLS only; certificates made at its first start (docs/local-stack.md).",
        ),
        click.option(
            "--kafka-sasl-port",
            type=int,
            default=None,
            help="SASL_SSL listener of the secured stack, broker port + 2 "
            "[env STREAMVIEW_STACK_KAFKA_SASL_PORT].",
        ),
        click.option(
            "--registry-port",
            type=int,
            default=None,
            help="Schema registry port, 8081 [env STREAMVIEW_STACK_REGISTRY_PORT].",
        ),
        click.option(
            "--registry/--no-registry",
            default=None,
            help="Run a schema registry (Apicurio, Confluent API), on by default "
            "[env STREAMVIEW_STACK_REGISTRY].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _make_stack(**settings: Any) -> LocalStack:
    try:
        config = StackConfig.from_env(**settings)
    except StackError as error:
        raise click.ClickException(str(error)) from None
    return LocalStack(config, report=_say)


@click.group("stack")
def command() -> None:
    """Run a real Kafka and PostgreSQL on this machine (no Docker needed)."""


@command.command("up")
@_stack_options
@click.option(
    "--kafka-version",
    default=None,
    help="Kafka release from Maven Central [env STREAMVIEW_KAFKA_VERSION].",
)
@click.option(
    "--partitions",
    "topic_partitions",
    type=click.IntRange(min=1),
    default=None,
    help="Partitions of orders.events, 6 [env STREAMVIEW_TOPIC_PARTITIONS].",
)
def up(**settings: Any) -> None:
    """Start (or reuse) the stack and print the exports that point StreamView at it."""
    stack = _make_stack(**settings)
    try:
        endpoints = stack.up()
    except StackError as error:
        raise click.ClickException(str(error)) from None
    click.echo(endpoints.shell_exports(), nl=False)
    if stack.config.secure:
        _say(
            f"secured stack: Kafka mTLS on {stack.config.kafka_bootstrap} and SASL_SSL/SCRAM on "
            f"{stack.config.kafka_sasl_bootstrap} as principal 'streamview' (only the ACLs of "
            "the README's Production section), PostgreSQL over TLS with client certificates.\n"
            'Run against it: eval "$(streamview stack up --secure)"; streamview migrate; '
            "streamview run"
        )


@command.command("down")
@_stack_options
def down(**settings: Any) -> None:
    """Stop the processes that `stack up` started from this state dir (and nothing else)."""
    stack = _make_stack(**settings)
    try:
        stopped = stack.down()
    except StackError as error:
        raise click.ClickException(str(error)) from None
    _say(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@command.command("status")
@_stack_options
def status(**settings: Any) -> None:
    """Say which services of this state dir run, with their pid and address."""
    stack = _make_stack(**settings)
    statuses = stack.status()
    click.echo(f"state dir: {stack.config.state_dir}")
    for service in statuses:
        click.echo(service.describe())
    # Exit status 0 only when everything runs: handy in scripts (`stack status && ...`).
    if not all(service.running for service in statuses):
        raise SystemExit(3)
