"""WAHA's error bodies, byte for byte (Nest JSON; CONTRACT.md §4)."""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import JSONResponse

from conectafy.waha.status import WahaStatus

JSON_TYPE = "application/json; charset=utf-8"


class WahaJSON(JSONResponse):
    """Compact JSON with the `charset=utf-8` content type Express sends."""

    media_type = JSON_TYPE


class WahaError(Exception):
    """Raised by a route to answer with WAHA's exact error body."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status_code = status_code
        self.body = body


_REASONS = {400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity"}


def nest(status_code: int, message: str | list[str]) -> WahaError:
    return WahaError(
        status_code, {"message": message, "error": _REASONS[status_code], "statusCode": status_code}
    )


def unauthorized() -> WahaError:
    return WahaError(401, {"message": "Unauthorized", "statusCode": 401})


def session_not_found() -> WahaError:
    return nest(404, "Session not found")


def only_default(name: str) -> WahaError:
    encoded = base64.b64encode(name.encode()).decode()
    return nest(
        422,
        f"WAHA Core support only 'default' session. You tried to access '{name}' session "
        f"(base64: {encoded}). If you want to run more then one WhatsApp account - please get WAHA PLUS "
        "version. Check this out: https://waha.devlike.pro/",
    )


def plus_only(engine: str) -> WahaError:
    return nest(
        422,
        f"The feature is available only in Plus version for '{engine}' engine. "
        "Check this out: https://waha.devlike.pro/",
    )


def status_guard(session: str, status: WahaStatus, expected: list[WahaStatus]) -> WahaError:
    return WahaError(
        422,
        {
            "error": "Session status is not as expected. Try again later or restart the session",
            "session": session,
            "status": status.value,
            "expected": [e.value for e in expected],
        },
    )
