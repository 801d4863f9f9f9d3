"""Typed errors for every way a WAHA call can fail, each carrying WAHA's own status code and message.

WAHA answers errors as Nest JSON (``{"message", "error", "statusCode"}``, CONTRACT.md §4); the client
maps them onto this hierarchy so that callers branch on types, never on message strings::

    WahaError(status_code, message, body)
     ├── WahaUnavailable           no answer: connection refused, DNS, timeout (status_code is None)
     ├── WahaInvalidResponse       a 2xx answer that is not what WAHA documents (bad JSON, wrong shape)
 ├── WahaMediaTooLarge         a media file over the caller's size cap (not read beyond it)
     ├── WahaBadRequest            400, validation: ``.messages`` lists every complaint
     ├── WahaUnauthorized          401, missing or wrong X-Api-Key
     ├── WahaNotFound              404, unknown session / route / file
     ├── WahaUnprocessable         422, any other refusal
     │    ├── WahaStatusConflict   422 status guard: ``.status`` now, ``.expected`` statuses
     │    ├── WahaSessionExists    422 "Session 'x' already exists. Use PUT to update it."
     │    ├── WahaAlreadyStarted   422 "Session 'x' is already started."
     │    └── WahaNotSupported     422 Plus-only feature, Core's single 'default' session, engine limits
     └── WahaServerError           5xx, WAHA crashed on the request
"""

from __future__ import annotations

from typing import Any

from conectafy.waha.status import WahaStatus


class WahaError(Exception):
    """Base of every WAHA failure; ``body`` is WAHA's decoded answer, kept whole for diagnosis."""

    def __init__(self, status_code: int | None, message: str, body: Any = None) -> None:
        super().__init__(f"WAHA {status_code}: {message}" if status_code is not None else message)
        self.status_code = status_code
        self.message = message
        self.body = body


class WahaUnavailable(WahaError):
    """WAHA did not answer (network error or timeout); the call may or may not have taken effect."""


class WahaInvalidResponse(WahaError):
    """WAHA answered success with a body we cannot read; a contract drift, never retried."""


class WahaMediaTooLarge(WahaError):
    """A media file is larger than the caller's cap; nothing beyond the cap was read."""


class WahaBadRequest(WahaError):
    """400: WAHA's validation rejected the request; ``messages`` holds each complaint."""

    @property
    def messages(self) -> list[str]:
        raw = self.body.get("message") if isinstance(self.body, dict) else None
        if isinstance(raw, list):
            return [str(item) for item in raw]
        return [self.message]


class WahaUnauthorized(WahaError):
    """401: the X-Api-Key header is missing or wrong (WAHA 2026 guards every route but /ping)."""


class WahaNotFound(WahaError):
    """404: the session does not exist (or is stopped, for /me), or the route/file is unknown."""


class WahaUnprocessable(WahaError):
    """422 that none of the narrower classes describes."""


class WahaStatusConflict(WahaUnprocessable):
    """422 status guard: the session is not in a status the endpoint accepts (CONTRACT.md §4)."""

    @property
    def session(self) -> str | None:
        return _body_str(self.body, "session")

    @property
    def status(self) -> WahaStatus | str | None:
        """The session's status when WAHA gave up waiting; a plain string if WAHA adds a new one."""
        return _as_status(_body_str(self.body, "status"))

    @property
    def expected(self) -> list[WahaStatus | str]:
        raw = self.body.get("expected") if isinstance(self.body, dict) else None
        if not isinstance(raw, list):
            return []
        return [status for item in raw if (status := _as_status(str(item))) is not None]


class WahaSessionExists(WahaUnprocessable):
    """422 on create: the session already exists (Core always has 'default'); update it instead."""


class WahaAlreadyStarted(WahaUnprocessable):
    """422 on start: the session is already running; the wanted end state already holds."""


class WahaNotSupported(WahaUnprocessable):
    """422: this WAHA build cannot do it (Plus-only feature, Core's 'default'-only rule, engine)."""


class WahaServerError(WahaError):
    """5xx: WAHA failed while handling the request (e.g. an unhandled TypeError)."""


def _body_str(body: Any, key: str) -> str | None:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _as_status(value: str | None) -> WahaStatus | str | None:
    if value is None:
        return None
    try:
        return WahaStatus(value)
    except ValueError:
        return value


_NOT_SUPPORTED_MARKERS = (
    "only in plus",
    "support only 'default'",
    "doesn't support",
    "not support",
    "can not",
)


def error_message(body: Any, fallback: str) -> str:
    """WAHA's human message, wherever this build put it (Nest, status guard, 500 dump, file 404)."""
    if isinstance(body, dict):
        for candidate in (body.get("message"), body.get("error"), body.get("exception")):
            if isinstance(candidate, str) and candidate:
                return candidate
            if isinstance(candidate, list) and candidate:
                return "; ".join(str(item) for item in candidate)
            if isinstance(candidate, dict) and isinstance(candidate.get("message"), str):
                return str(candidate["message"])
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return fallback


def error_for_status(status_code: int, body: Any, fallback: str) -> WahaError:
    """Pick the narrowest exception class for a non-2xx WAHA answer."""
    message = error_message(body, fallback)
    if status_code == 422:
        return _unprocessable(body, message)
    if status_code >= 500:
        return WahaServerError(status_code, message, body)
    by_status: dict[int, type[WahaError]] = {
        400: WahaBadRequest,
        401: WahaUnauthorized,
        404: WahaNotFound,
    }
    return by_status.get(status_code, WahaError)(status_code, message, body)


def _unprocessable(body: Any, message: str) -> WahaUnprocessable:
    if isinstance(body, dict) and "expected" in body and "status" in body:
        return WahaStatusConflict(422, message, body)
    lowered = message.lower()
    if "already exists" in lowered:
        return WahaSessionExists(422, message, body)
    if "already started" in lowered:
        return WahaAlreadyStarted(422, message, body)
    if any(marker in lowered for marker in _NOT_SUPPORTED_MARKERS):
        return WahaNotSupported(422, message, body)
    return WahaUnprocessable(422, message, body)
