"""How the API is served: which event loop and which HTTP parser, for `serve` and `run`.

uvloop and httptools (C) took a fifth to a third of the CPU cost of a point read away from the
pure-Python asyncio loop and h11 parser (docs/benchmarks.md, "Read path"). `auto` picks them
when installed and falls back to the standard library's loop and h11 otherwise.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

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


def event_loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """For `asyncio.Runner`, when the command owns the loop (`run`: worker and API on one)."""
    if loop_name(choice) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def server_options(command: F) -> F:
    """The options `serve` and `run` share: where to listen and how to serve."""
    options = (
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
