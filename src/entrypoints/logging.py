"""Loguru for the whole process: text for people, JSON lines for machines.

`STREAMVIEW_LOG_FORMAT=json` writes one JSON object per line with `time`, `level`, `logger`,
`message` and every bound context field (`orderId`, `eventId`, `sequence`, `partition`,
`offset`, `traceId`, ...). `traceId` falls back to the current OpenTelemetry span's trace id.
Records of the standard `logging` module (uvicorn, aiokafka, psycopg) are routed into loguru,
so they share the format and the level (`STREAMVIEW_LOG_LEVEL`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger
from opentelemetry import trace

if TYPE_CHECKING:
    from loguru import Message, Record

# Loggers that install their own handlers; they must propagate to the root handler instead.
# (uvicorn does so when started with its default `log_config`: pass `log_config=None`.)
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "psycopg")

_TEXT_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
    "<cyan>{name}</cyan> | <level>{message}</level>"
)


def configure_logging(
    log_format: str = "text", level: str = "INFO", stream: TextIO | None = None
) -> None:
    """Replace every loguru sink with one on `stream` (stderr by default)."""
    stream = sys.stderr if stream is None else stream
    level = level.upper()
    logger.remove()
    logger.configure(patcher=_add_trace_id)
    if log_format == "json":
        logger.add(_JsonLines(stream), level=level, format="{message}", diagnose=False)
    else:
        logger.add(stream, level=level, format=_text_format, diagnose=False)
    _route_stdlib_logging(logger.level(level).no)


def _text_format(record: Record) -> str:
    # Bound fields only when there are any; loguru fills {extra} itself, braces and all.
    return _TEXT_FORMAT + (" | {extra}" if record["extra"] else "") + "\n{exception}"


def _add_trace_id(record: Record) -> None:
    extra = record["extra"]
    if "traceId" in extra:
        return
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        extra["traceId"] = trace.format_trace_id(context.trace_id)


class _JsonLines:
    """A loguru sink writing one flat JSON object per message."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def __call__(self, message: Message) -> None:
        record = message.record
        line: dict[str, Any] = {
            "time": record["time"].isoformat(),
            "level": record["level"].name,
            "logger": record["extra"].get("logger", record["name"]),
            "message": record["message"],
        }
        line.update((k, v) for k, v in record["extra"].items() if k != "logger")
        exception = record["exception"]
        if exception is not None and exception.type is not None:
            line["exception"] = "".join(
                traceback.format_exception(exception.type, exception.value, exception.traceback)
            )
        self._stream.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")
        self._stream.flush()


class _InterceptHandler(logging.Handler):
    """Hands standard-library log records to loguru (the recipe of loguru's documentation)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 2
        while frame is not None and frame.f_code.co_filename == logging.__file__:
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).bind(logger=record.name).log(
            level, record.getMessage()
        )


def _route_stdlib_logging(level: int) -> None:
    # The level is set on the stdlib side too: aiokafka's per-fetch debug calls then cost nothing.
    logging.basicConfig(handlers=[_InterceptHandler()], level=level, force=True)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
