"""`streamview dlq list|show|redrive`: the dead-letter topic, from the command line.

The same use cases as the ops endpoints, straight on Kafka and the database (no API or token
needed): STREAMVIEW_KAFKA_BOOTSTRAP, STREAMVIEW_DLQ_TOPIC, STREAMVIEW_TOPIC and, for redrive,
STREAMVIEW_DATABASE_URL. Redrives are logged as asked by `cli:<user>`.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from entrypoints.container import Container

T = TypeVar("T")


def _run(work: Callable[[Container], Awaitable[T]], database: bool = False) -> T:
    from application.errors import ApplicationError
    from entrypoints.bootstrap import build_container
    from entrypoints.settings import Settings
    from entrypoints.wiring.lifetimes import ApiResource, holding

    try:
        container = build_container(Settings.from_env())
    except ValueError as error:
        raise click.ClickException(str(error)) from None

    async def main() -> T:
        if not database:  # nothing to hold: the reader's consumers live for one call
            return await work(container)
        async with holding(container, ApiResource):  # the API's pool, the redrive producer
            await container.infrastructure.api_pool().wait(timeout=10)
            return await work(container)

    try:
        return asyncio.run(main())
    except ApplicationError as error:
        raise click.ClickException(str(error)) from None


def _echo(value: Any) -> None:
    import msgspec

    click.echo(json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False))


@click.group("dlq")
def command() -> None:
    """List, show and redrive dead letters (the DLQ topic)."""


@command.command("list")
@click.option("--reason", multiple=True, help="Only these reasons (repeatable).")
@click.option("--from", "since", help="RFC 3339: written to the DLQ at or after it.")
@click.option("--to", "until", help="RFC 3339: written to the DLQ before it.")
@click.option("--offsets", help="Start here: a previous page's `next` (partition:offset,…).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
def list_letters(
    reason: tuple[str, ...], since: str | None, until: str | None, offsets: str | None, limit: int
) -> None:
    """One page of dead letters, oldest first, as JSON (`next` continues it)."""
    from adapters.http.dead_letters import parse_offsets, shown_offsets, summary
    from adapters.http.params import parse_moment
    from application.dead_letter_ops import known_reason
    from application.ports import LetterQuery

    async def work(container: Container) -> Any:  # parsed inside: errors become messages
        query = LetterQuery(
            reasons=frozenset(known_reason(r) for r in reason),
            since=parse_moment("from", since),
            until=parse_moment("to", until),
            start=parse_offsets(offsets),
            limit=limit,
        )
        page = await container.ops.list_dead_letters()(query)
        return {"items": [summary(x) for x in page.letters], "next": shown_offsets(page.next)}

    _echo(_run(work))


@command.command("show")
@click.argument("partition", type=click.IntRange(0))
@click.argument("offset", type=click.IntRange(0))
def show_letter(partition: int, offset: int) -> None:
    """One dead letter whole: value, original headers, why and where from."""
    from adapters.http.dead_letters import detail_body
    from application.ports import LetterId

    async def work(container: Container) -> Any:
        return detail_body(await container.ops.show_dead_letter()(LetterId(partition, offset)))

    _echo(_run(work))


@command.command("redrive")
@click.argument("records", nargs=-1, metavar="[PARTITION:OFFSET]...")
@click.option("--reason", help="Every letter of this reason instead (one page of up to 500).")
@click.option("--from", "since", help="With --reason: written to the DLQ at or after it.")
@click.option("--to", "until", help="With --reason: written to the DLQ before it.")
def redrive(
    records: tuple[str, ...], reason: str | None, since: str | None, until: str | None
) -> None:
    """Send dead letters back to their source topic, each at most once.

    \b
    Examples:
      streamview dlq redrive 0:17 0:18
      streamview dlq redrive --reason unsupported_version
    """
    from adapters.http.dead_letters import parse_offsets, result_body, shown_offsets
    from adapters.http.params import parse_moment
    from application.dead_letter_ops import RedriveRequest
    from application.ports import LetterId

    who = f"cli:{getpass.getuser()}"

    async def work(container: Container) -> Any:
        ids = [parse_offsets(record, "PARTITION:OFFSET") or {} for record in records]
        request = RedriveRequest(
            ids=tuple(LetterId(p, o) for pairs in ids for p, o in pairs.items()),
            reason=reason,
            since=parse_moment("from", since),
            until=parse_moment("to", until),
        )
        report = await container.ops.redrive_dead_letters()(request, who)
        return {
            "results": [result_body(r) for r in report.results],
            "next": shown_offsets(report.next),
        }

    _echo(_run(work, database=True))
