"""The production log format: one JSON object per line, with the request id; lines the
receiving piece already writes are not written twice."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from careplane_shared.context import request_id_var
from careplane_shared.logging import configure_logging


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """configure_logging as a production piece calls it (its stdout read back), undone
    afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "mail.log")}
    configure_logging("example", "INFO", json=True)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    handler.setStream(out)
    try:
        yield out
    finally:
        root.handlers[:], root.level = handlers, level
        for name, old in quieted.items():
            logging.getLogger(name).setLevel(old)
        structlog.contextvars.clear_contextvars()


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_request_id(json_logs):
    token = request_id_var.set("req-42")
    try:
        structlog.get_logger("careplane.access").info("request", path="/v1/tickets", status=201)
    finally:
        request_id_var.reset(token)

    [line] = lines(json_logs)
    assert line["event"] == "request"
    assert line["request_id"] == "req-42"
    assert line["service"] == "example"
    assert line["logger"] == "careplane.access"
    assert line["level"] == "info"
    assert (line["path"], line["status"]) == ("/v1/tickets", 201)
    assert line["timestamp"].endswith("Z")


def test_an_exception_is_rendered_into_its_line(json_logs):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structlog.get_logger("careplane.test").exception("failed")

    [line] = lines(json_logs)
    assert line["level"] == "error"
    assert "RuntimeError: boom" in line["exception"]


def test_httpx_request_lines_are_left_to_the_receiver_other_lines_kept(json_logs):
    logging.getLogger("httpx").info('HTTP Request: POST http://notify/v1/events "200 OK"')
    logging.getLogger("httpx").warning("connection pool full")
    logging.getLogger("some.library").info("Started.")

    assert [(line["logger"], line["event"]) for line in lines(json_logs)] == [
        ("httpx", "connection pool full"),
        ("some.library", "Started."),
    ]


def test_lines_still_reach_the_standard_library_handlers(json_logs, caplog):
    caplog.set_level(logging.INFO)
    structlog.get_logger("careplane.access").info("request", path="/v1/contacts")
    assert any("/v1/contacts" in record.getMessage() for record in caplog.records)
