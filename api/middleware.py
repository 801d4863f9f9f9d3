"""Pure ASGI middleware: request body size limit, access log and HTTP metrics.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses (SSE) pass straight through.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conectafy.api.errors import error_body
from conectafy.api.metrics import http_latency, http_requests
from conectafy.logs import get_logger

ACCESS_LOGGER = "conectafy.api.access"
log = get_logger(ACCESS_LOGGER)
#: The stdlib logger behind `log`: asked first, so a level above INFO costs no structlog processing.
_access = logging.getLogger(ACCESS_LOGGER)
_JSON = (b"content-type", b"application/json")


async def send_json(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A whole JSON answer, written as ASGI messages (for layers that answer without a Response)."""
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": status, "headers": [_JSON, length, *headers]})
    await send({"type": "http.response.body", "body": body})


def too_large_detail(limit: int) -> str:
    return f"request body exceeds {limit} bytes"


async def _send_413(send: Send, limit: int) -> None:
    await send_json(send, 413, json.dumps(error_body(413, too_large_detail(limit))).encode())


def declared_too_large(scope: Scope, limit: int) -> bool:
    """A Content-Length that is not a number, or above `limit`: refused before reading the body."""
    for name, value in scope["headers"]:  # ASGI header names are lowercase
        if name == b"content-length":
            return not value.isdigit() or int(value) > limit
    return False


class BodySizeLimit:
    """413 before reading when Content-Length is too large; counts streamed (chunked) bodies too."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if declared_too_large(scope, self.max_bytes):
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            """Past the limit: answer 413 ourselves and tell the app the client is gone, so it stops."""
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                if not started and not refused:
                    refused = True
                    await _send_413(send, self.max_bytes)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is already the response
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise


class AccessLog:
    """One structured log line and one metrics sample per request, labelled by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def capture(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            observe_request(scope, route, status_code, time.perf_counter() - started)


def observe_request(scope: Scope, route: str, status_code: int, elapsed: float) -> None:
    """The access log line and HTTP metrics of one request (also for the webhook endpoint, which
    answers above this middleware)."""
    http_requests(scope["method"], route, str(status_code)).inc()
    http_latency(scope["method"], route).observe(elapsed)
    if _access.isEnabledFor(logging.INFO):
        _log_request(scope, status_code, elapsed)


def _log_request(scope: Scope, status_code: int, elapsed: float) -> None:
    log.info(
        "request",
        method=scope["method"],
        path=scope["path"],
        status=status_code,
        duration_ms=round(elapsed * 1000, 2),
    )
