"""Log lines: JSON that parses, with the record's context bound; stdlib logs routed in."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from loguru import logger
from opentelemetry.sdk.trace import TracerProvider

from entrypoints.logging import configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield io.StringIO()
    logger.remove()
    logger.add(sys.stderr)
    root.handlers[:], root.level = saved_handlers, saved_level


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


RECORD_FIELDS = {
    "orderId": "o-1",
    "eventId": "evt-1",
    "sequence": 4,
    "partition": 2,
    "offset": 17,
    "traceId": "corr-9",
}


def test_json_lines_carry_the_bound_record_fields(stream: io.StringIO) -> None:
    configure_logging("json", "INFO", stream)

    logger.bind(**RECORD_FIELDS, reason="unknown_type").warning("record dead-lettered")
    logger.bind(orderId="o-2").info("unrelated")

    first, second = lines(stream)
    assert first["level"] == "WARNING"
    assert first["message"] == "record dead-lettered"
    assert {k: first[k] for k in RECORD_FIELDS} == RECORD_FIELDS
    assert first["reason"] == "unknown_type"
    assert first["logger"] == __name__
    assert "offset" not in second and second["orderId"] == "o-2"  # bound per line, not global


def test_trace_id_comes_from_the_current_span_when_not_bound(stream: io.StringIO) -> None:
    configure_logging("json", "INFO", stream)
    provider = TracerProvider()

    with provider.get_tracer("test").start_as_current_span("batch") as span:
        logger.info("batch projected")
    logger.info("outside any span")

    inside, outside = lines(stream)
    assert inside["traceId"] == format(span.get_span_context().trace_id, "032x")
    assert "traceId" not in outside


def test_stdlib_logging_is_routed_and_filtered_by_level(stream: io.StringIO) -> None:
    configure_logging("json", "WARNING", stream)

    logging.getLogger("aiokafka.consumer").warning("heartbeat failed for %s", "group")
    logging.getLogger("uvicorn.error").info("below the level")
    logger.info("below the level too")

    (line,) = lines(stream)
    assert line["logger"] == "aiokafka.consumer"
    assert line["message"] == "heartbeat failed for group"
    assert line["level"] == "WARNING"


def test_exceptions_are_one_json_line(stream: io.StringIO) -> None:
    configure_logging("json", "INFO", stream)

    try:
        raise ValueError("bad offset")
    except ValueError:
        logger.exception("batch failed")

    (line,) = lines(stream)
    assert line["message"] == "batch failed"
    assert "ValueError: bad offset" in line["exception"]


def test_text_format_shows_message_and_context(stream: io.StringIO) -> None:
    configure_logging("text", "INFO", stream)

    logger.bind(orderId="o-1", offset=3).info("batch projected")

    text = stream.getvalue()
    assert "INFO" in text and "batch projected" in text
    assert "'orderId': 'o-1'" in text and "'offset': 3" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])
