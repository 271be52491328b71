"""`streamview serve`: the API alone (no consumer), under uvicorn."""

from __future__ import annotations

import click

from entrypoints.serving import http_parser, loop_name, server_options


@click.command("serve")
@click.option(
    "--workers", type=int, default=None, help="Processes [default: STREAMVIEW_HTTP_WORKERS]."
)
@server_options
def command(
    host: str | None, port: int | None, workers: int | None, loop: str, http: str, access_log: bool
) -> None:
    """Serve the REST API (reads Postgres; never blocks on Kafka).

    \b
    Swagger UI: http://HOST:PORT/schema/swagger   OpenAPI: /schema/openapi.json
    Each worker process has its own pool and its own /metrics counters.
    """
    import uvicorn

    from entrypoints.settings import Settings

    settings = Settings.from_env(http_host=host, http_port=port, http_workers=workers)
    uvicorn.run(
        "entrypoints.asgi:app_factory",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.http_workers,
        loop=loop_name(loop),
        http=http_parser(http),
        access_log=access_log,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )
