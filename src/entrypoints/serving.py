"""How the API is served: which event loop and which HTTP parser, for `serve` and `run`.

uvloop and httptools (C) took a fifth to a third of the CPU cost of a point read away from the
pure-Python asyncio loop and h11 parser (docs/benchmarks.md, "Read path"). `auto` picks them
when installed and falls back to the standard library's loop and h11 otherwise.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from entrypoints.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CONFIGURATION = 2
LOOPS = ("auto", "uvloop", "asyncio")
HTTP_PARSERS = ("auto", "httptools", "h11")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def loop_name(choice: str) -> str:
    """`uvloop` or `asyncio`: uvicorn's name of the loop to use."""
    if choice == "auto":
        return "uvloop" if _installed("uvloop") else "asyncio"
    return choice


def http_parser(choice: str) -> str:
    """`httptools` or `h11`: uvicorn's name of the HTTP/1.1 implementation to use."""
    if choice == "auto":
        return "httptools" if _installed("httptools") else "h11"
    return choice


def http_protocol(choice: str) -> str | type[asyncio.Protocol]:
    """What uvicorn is given as `http`: httptools with the request head bounded
    (entrypoints.bounded_http), or h11, whose own limit `H11_LIMITS` sets to the same size."""
    if http_parser(choice) == "httptools":
        from entrypoints.bounded_http import BoundedHttpToolsProtocol

        return BoundedHttpToolsProtocol
    return "h11"


def graceful_shutdown(settings: Settings) -> dict[str, Any]:
    """uvicorn options: on stop, requests in flight get as long as the longest read-your-writes
    wait (and a little) to finish; change streams, which never finish, are then ended (their
    clients resume elsewhere with Last-Event-ID) instead of holding the stop forever."""
    return {"timeout_graceful_shutdown": settings.read_wait_max_ms / 1000 + 2}


def h11_limits() -> dict[str, Any]:
    """uvicorn options: h11 refuses request heads over the size httptools is bounded to."""
    from entrypoints.bounded_http import MAX_REQUEST_HEAD_BYTES

    return {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}


def event_loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """For `asyncio.Runner`, when the command owns the loop (`run`: worker and API on one)."""
    if loop_name(choice) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def check_api_settings(settings: Settings) -> None:
    """Exit 2 with a message naming the variable when the API could not start with these
    settings (a secret missing or too short, a key file unusable): before serving, not at the
    first request, and without a traceback."""
    from entrypoints.bootstrap import build_container, check_api_configuration
    from entrypoints.settings import SettingsError

    try:
        check_api_configuration(build_container(settings))
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(EXIT_CONFIGURATION) from None


def server_options(command: F) -> F:
    """The options `serve` and `run` share: where to listen and how to serve."""
    options = (
        click.option(
            "--dev",
            is_flag=True,
            help="Development mode (= STREAMVIEW_DEV_MODE=true): built-in secrets stand in for "
            "those not set. Never in production: anyone can mint ops tokens then.",
        ),
        click.option("--host", default=None, help="Bind address [default: STREAMVIEW_HTTP_HOST]."),
        click.option(
            "--port", type=int, default=None, help="Port [default: STREAMVIEW_HTTP_PORT]."
        ),
        click.option(
            "--loop",
            type=click.Choice(LOOPS),
            default="auto",
            show_default=True,
            help="Event loop; auto is uvloop when installed.",
        ),
        click.option(
            "--http",
            type=click.Choice(HTTP_PARSERS),
            default="auto",
            show_default=True,
            help="HTTP/1.1 parser; auto is httptools when installed.",
        ),
        click.option(
            "--access-log/--no-access-log",
            default=False,
            show_default=True,
            help="One log line per request (metrics count every request either way).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command
