"""Logging: one JSON line per event that matters, not one per HTTP request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from conectafy.logs import CHATTY_LOGGERS, configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in CHATTY_LOGGERS})
    yield
    root.handlers[:], _, levels = saved
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _lines(text: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_http_requests_do_not_log_a_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"kind": "Status"}))
    with httpx.Client(transport=transport, base_url="https://kube.test") as client:
        for _ in range(3):
            client.get("/api/v1/namespaces/team/secrets/waha-sales")
    logging.getLogger("kopf.objects").info("Handler 'on_session_create' succeeded.")
    assert [(line["logger"], line["event"]) for line in _lines(capsys.readouterr().err)] == [
        ("kopf.objects", "Handler 'on_session_create' succeeded."),
    ]


def test_http_warnings_still_show(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    logging.getLogger("httpx").warning("connection pool is full")
    lines = _lines(capsys.readouterr().err)
    assert [(line["logger"], line["level"]) for line in lines] == [("httpx", "warning")]


def test_a_stricter_root_level_still_applies(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "ERROR")
    logging.getLogger("httpx").warning("below the chosen level")
    assert capsys.readouterr().err == ""
