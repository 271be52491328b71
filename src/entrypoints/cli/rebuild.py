"""`streamview rebuild`: rebuild the views from offset 0, and follow it with a progress bar.

It goes through the same use cases as `POST /views/rebuild`, straight on the database (no API
or token needed, only STREAMVIEW_DATABASE_URL): the request is recorded there, and the
process that runs the worker (`streamview run` or `streamview consume`) executes it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from application.rebuild.requests import GetRebuild
    from entrypoints.container import Container

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130


@click.command("rebuild")
@click.option(
    "--mode",
    type=click.Choice(["blue-green", "inplace"]),
    default="blue-green",
    show_default=True,
    help="blue-green: reads go on, one transaction swaps the new views in. "
    "inplace: stop, clear, replay - the views are empty until it ends (dev/test only).",
)
@click.option(
    "--follow", is_flag=True, help="Show progress until it ends; exit 1 unless it succeeds."
)
@click.option("--cancel", "cancel_id", metavar="REBUILD_ID", help="Cancel this rebuild instead.")
def command(mode: str, follow: bool, cancel_id: str | None) -> None:
    """Rebuild the views by replaying the whole topic; reads are served meanwhile.

    \b
    Examples:
      streamview rebuild --follow        # start one (or follow the one running) to the end
      streamview rebuild --mode inplace  # dev/test: downtime until the replay ends
      streamview rebuild --cancel 3b2f…  # the live views stay as they are
    Needs STREAMVIEW_ALLOW_REBUILD=true (the default) and a running worker process.
    """
    from entrypoints.settings import Settings

    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if settings.backend != "postgres":
        raise click.ClickException("rebuilds need STREAMVIEW_BACKEND=postgres")
    from entrypoints.bootstrap import build_container

    try:
        code = asyncio.run(_main(build_container(settings), mode, follow, cancel_id))
    except KeyboardInterrupt:
        click.echo("stopped following; the rebuild goes on in the worker", err=True)
        code = EXIT_INTERRUPTED
    raise SystemExit(code)


async def _main(container: Container, mode: str, follow: bool, cancel_id: str | None) -> int:
    from entrypoints.wiring.lifetimes import ApiResource, holding

    # The API's pool: the use cases of the rebuild endpoints read through it.
    async with holding(container, ApiResource):
        try:
            await container.infrastructure.api_pool().wait(timeout=10)
        except Exception as error:
            raise click.ClickException(f"cannot reach the database: {error}") from None
        return await _request(container, mode, follow, cancel_id)


async def _request(container: Container, mode: str, follow: bool, cancel_id: str | None) -> int:
    from application.errors import ApplicationError
    from application.rebuild.model import RebuildMode
    from application.rebuild.requests import RebuildRunning

    rebuilds = container.rebuilds
    try:
        if cancel_id:
            cancelled = await rebuilds.cancel_rebuild()(cancel_id)
            click.echo(f"rebuild {cancelled.rebuild_id}: cancel requested ({cancelled.state})")
            return 0
        try:
            rebuild = await rebuilds.start_rebuild()(RebuildMode(mode))
            click.echo(f"rebuild {rebuild.rebuild_id} requested ({mode})", err=True)
        except RebuildRunning as running:
            if not follow:
                raise
            rebuild = running.rebuild
            click.echo(f"following rebuild {rebuild.rebuild_id}, already running", err=True)
        if not follow:
            click.echo(rebuild.rebuild_id)
            return 0
        return await _follow(rebuilds.get_rebuild(), rebuild.rebuild_id)
    except ApplicationError as error:
        click.echo(f"Error: {error}", err=True)
        return EXIT_FAILED


async def _follow(get_rebuild: GetRebuild, rebuild_id: str) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from application.rebuild.model import RebuildState, progress_of

    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[eta]}"),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("QUEUED", total=None, rate="", eta="")
        while True:
            rebuild = await get_rebuild(rebuild_id)
            p = progress_of(rebuild)
            bar.update(
                task,
                description=f"{rebuild.state} {rebuild.phase}",
                total=p.target_events or None,
                completed=min(p.events_replayed, p.target_events),
                rate=f"{p.rate:,.0f} events/s" if p.rate else "",
                eta=f"ETA {p.eta_seconds:,.0f}s" if p.eta_seconds is not None else "",
            )
            if not rebuild.active:
                break
            await asyncio.sleep(0.5)
    if rebuild.state is RebuildState.SUCCEEDED:
        seconds = (rebuild.finished_at - rebuild.started_at).total_seconds()  # type: ignore[operator]
        click.echo(f"rebuild {rebuild_id} SUCCEEDED: {p.events_replayed} records in {seconds:.1f}s")
        return 0
    click.echo(f"rebuild {rebuild_id} {rebuild.state}: {rebuild.error or 'cancelled'}", err=True)
    return EXIT_FAILED
