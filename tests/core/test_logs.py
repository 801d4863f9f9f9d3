"""JSON logs: the traceback of every error logged with exc_info, whoever logged it, and one line per
event that matters, not one per HTTP request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI

from conectafy.api.errors import install_error_handlers
from conectafy.logs import CHATTY_LOGGERS, configure_logging, get_logger


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """Restores the logging setup a test changes with `configure_logging` (which a test must call itself:
    pytest resets the root logger's level between a fixture's setup and the test)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    yield capsys
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level
    for name, chatty_level in chatty.items():
        logging.getLogger(name).setLevel(chatty_level)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def _fail() -> None:
    raise ZeroDivisionError("the answer was zero")


def test_a_structlog_exception_has_its_traceback(json_logs: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    try:
        _fail()
    except ZeroDivisionError:
        get_logger("conectafy.test").exception("it failed", session="support")
    [line] = _lines(json_logs)
    assert (line["event"], line["level"], line["session"]) == ("it failed", "error", "support")
    assert "exc_info" not in line
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "in _fail" in line["exception"]
    assert line["exception"].rstrip().endswith("ZeroDivisionError: the answer was zero")


def test_a_stdlib_exception_has_its_traceback(json_logs: pytest.CaptureFixture[str]) -> None:
    """asyncio (an exception nobody awaited), kopf and httpx log through the standard library."""
    configure_logging("json")
    try:
        _fail()
    except ZeroDivisionError:
        logging.getLogger("asyncio").error("Task exception was never retrieved", exc_info=True)
    # Earlier tests' tasks may be garbage-collected now and log through asyncio too: find ours.
    [line] = [line for line in _lines(json_logs) if "the answer was zero" in line.get("exception", "")]
    assert (line["event"], line["logger"]) == ("Task exception was never retrieved", "asyncio")
    assert line["exception"].rstrip().endswith("ZeroDivisionError: the answer was zero")


async def test_an_unhandled_api_error_is_logged_with_its_traceback(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json")
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        _fail()

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom")
    assert (response.status_code, response.json()) == (
        500,
        {"error": "internal", "detail": "internal server error"},
    )
    [line] = [entry for entry in _lines(json_logs) if entry["event"] == "unhandled error"]
    assert (line["method"], line["path"]) == ("GET", "/boom")
    assert "in boom" in line["exception"]
    assert line["exception"].rstrip().endswith("ZeroDivisionError: the answer was zero")


def test_http_requests_do_not_log_a_line_each(json_logs: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"kind": "Status"}))
    with httpx.Client(transport=transport, base_url="https://kube.test") as client:
        for _ in range(3):
            client.get("/api/v1/namespaces/team/secrets/waha-sales")
    logging.getLogger("kopf.objects").info("Handler 'on_session_create' succeeded.")
    assert [(line["logger"], line["event"]) for line in _lines(json_logs)] == [
        ("kopf.objects", "Handler 'on_session_create' succeeded."),
    ]


def test_http_warnings_still_show(json_logs: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    logging.getLogger("httpx").warning("connection pool is full")
    assert [(line["logger"], line["level"]) for line in _lines(json_logs)] == [("httpx", "warning")]


def test_a_stricter_root_level_still_applies(json_logs: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "ERROR")
    logging.getLogger("httpx").warning("below the chosen level")
    assert json_logs.readouterr().err == ""


def test_kopf_routine_successes_are_not_logged(json_logs: pytest.CaptureFixture[str]) -> None:
    """A line per session per tick, and per child event, is noise at 500 sessions; failures still show."""
    configure_logging("json")
    objects = logging.getLogger("kopf.objects")
    objects.info("Timer 'sync_session_status' succeeded.")
    objects.info("Handler 'heal_deployments' succeeded.")
    objects.info("Handler 'on_session_create' succeeded.")
    objects.error("Timer 'sync_session_status' failed with an exception. Will retry.")
    events = [line["event"] for line in _lines(json_logs)]
    assert events == [
        "Handler 'on_session_create' succeeded.",
        "Timer 'sync_session_status' failed with an exception. Will retry.",
    ]
