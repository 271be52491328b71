"""`streamview serve`: the API alone (no consumer), under uvicorn."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default=None, help="Bind address [default: STREAMVIEW_HTTP_HOST].")
@click.option("--port", type=int, default=None, help="Port [default: STREAMVIEW_HTTP_PORT].")
@click.option(
    "--workers", type=int, default=None, help="Processes [default: STREAMVIEW_HTTP_WORKERS]."
)
def command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the REST API (reads Postgres; never blocks on Kafka).

    \b
    Swagger UI: http://HOST:PORT/schema/swagger   OpenAPI: /schema/openapi.json
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
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )
