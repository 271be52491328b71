"""How the API is served: which event loop and which HTTP parser, for `serve` and `run`.

uvloop and httptools (C) took a fifth to a third of the CPU cost of a point read away from the
pure-Python asyncio loop and h11 parser (docs/benchmarks.md, "Read path"). `auto` picks them
when installed and falls back to the standard library's loop and h11 otherwise.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable

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
