"""`streamview run`: the worker and the API in one process, on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import click

from entrypoints.cli.consume import on_stop_signal, worker_settings
from entrypoints.serving import (
    check_api_settings,
    event_loop_factory,
    graceful_shutdown,
    h11_limits,
    http_protocol,
    server_options,
)

if TYPE_CHECKING:
    from entrypoints.settings import Settings


@click.command("run")
@server_options
def command(
    dev: bool, host: str | None, port: int | None, loop: str, http: str, access_log: bool
) -> None:
    """Consume the topic and serve the REST API from one process (the simple deployment).

    \b
    Stops cleanly on SIGTERM or Ctrl-C: the batch in flight is finished, the consumer leaves
    its group, the API drains its requests, the pool is closed. A worker that fails restarts
    with a growing pause (1 s up to 60 s) while the API goes on serving reads, reporting the
    consumer FAILED in /lags and /health/ready. Exit codes as `consume`.
    """
    settings = worker_settings(http_host=host, http_port=port, dev_mode=dev or None)
    check_api_settings(settings)
    with asyncio.Runner(loop_factory=event_loop_factory(loop)) as runner:
        raise SystemExit(runner.run(_serve_with_worker(settings, http_protocol(http), access_log)))


async def _serve_with_worker(
    settings: Settings, http: str | type[asyncio.Protocol], access_log: bool
) -> int:
    import uvicorn

    from application.ingestion.restarts import run_restarting
    from application.ingestion.worker import EXIT_FAILED, IngestionWorker
    from entrypoints.asgi import create_app_from_container
    from entrypoints.bootstrap import build_container, with_worker_probe

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # This command owns SIGTERM/SIGINT (below); uvicorn would re-raise them at exit
            # and turn a clean stop into "killed by signal".
            yield

    container = with_worker_probe(build_container(settings))
    stopping = asyncio.Event()
    exit_codes: list[int] = []

    async def run_once(stopping: asyncio.Event) -> int:
        worker: IngestionWorker = container.ingestion.worker()  # a new one at each start
        return await worker.run(stopping)

    @contextlib.asynccontextmanager
    async def worker_running(_: Any) -> AsyncIterator[None]:
        # Inside the app's resources lifespan: the pools and clients are open before and
        # closed after, once, whatever number of times the worker started.
        worker = asyncio.create_task(
            run_restarting(run_once, container.write_side.consumer_status(), stopping)
        )
        # Ends on its own only with a schema this build does not know: then so does the API.
        worker.add_done_callback(lambda _: setattr(server, "should_exit", True))
        try:
            yield
        finally:
            stopping.set()
            exit_codes.append(await worker)

    def stop() -> None:
        stopping.set()
        server.should_exit = True

    app = create_app_from_container(container, lifespan=[worker_running])
    server = Server(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            http=http,
            **h11_limits(),
            **graceful_shutdown(settings),
            access_log=access_log,
            log_config=None,
            lifespan="on",
        )
    )
    on_stop_signal(stop)
    await server.serve()
    return exit_codes[0] if exit_codes else EXIT_FAILED
