"""`streamview serve`: the API alone (no consumer), under uvicorn."""

from __future__ import annotations

import os

import click

from entrypoints.serving import (
    EXIT_CONFIGURATION,
    check_api_settings,
    graceful_shutdown,
    h11_limits,
    http_protocol,
    loop_name,
    server_options,
)


@click.command("serve")
@click.option(
    "--workers", type=int, default=None, help="Processes [default: STREAMVIEW_HTTP_WORKERS]."
)
@server_options
def command(
    dev: bool,
    host: str | None,
    port: int | None,
    workers: int | None,
    loop: str,
    http: str,
    access_log: bool,
) -> None:
    """Serve the REST API (reads Postgres; never blocks on Kafka).

    \b
    Swagger UI: http://HOST:PORT/schema/swagger   OpenAPI: /schema/openapi.json
    Each worker process has its own pool and its own /metrics counters.
    Needs STREAMVIEW_OPS_JWT_SECRET (or _PUBLIC_KEY_FILE) and STREAMVIEW_CURSOR_SECRET,
    unless --dev. Exit codes: 0 stopped, 2 configuration problem.
    """
    import uvicorn

    from entrypoints.settings import Settings

    if dev:  # the server's worker processes read their settings from the environment
        os.environ["STREAMVIEW_DEV_MODE"] = "true"
    try:
        settings = Settings.from_env(http_host=host, http_port=port, http_workers=workers)
    except ValueError as error:  # SettingsError, or a cross-field check
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(EXIT_CONFIGURATION) from None
    check_api_settings(settings)
    uvicorn.run(
        "entrypoints.asgi:app_factory",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.http_workers,
        loop=loop_name(loop),
        http=http_protocol(http),
        **h11_limits(),
        **graceful_shutdown(settings),
        access_log=access_log,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )
