"""JSON error bodies for every failure: bad input is a clear 4xx, and nothing leaks as an HTML 500.

Every error body has the shape {"error": <code>, "detail": <message or list>}. Validation details never
echo the submitted input (it may hold a password).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from conectafy.logs import get_logger

log = get_logger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


#: The answer to an unexpected failure: nothing of it leaks.
INTERNAL_ERROR_BODY: dict[str, Any] = {"error": "internal", "detail": "internal server error"}
#: The shape of `error_body`, for the OpenAPI document.
ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {}},
}


def error_body(status_code: int, detail: Any) -> dict[str, Any]:
    return {"error": _CODES.get(status_code, "error"), "detail": detail}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(error_body(exc.status_code, exc.detail), exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Malformed JSON is a 400; well-formed but invalid input is a 422 listing each field's problem."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": e.get("type")} for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return JSONResponse(
            {"error": "malformed_json", "detail": [e for e in errors if e["type"] == "json_invalid"]},
            status.HTTP_400_BAD_REQUEST,
        )
    return JSONResponse(error_body(422, errors), 422)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", method=request.method, path=request.url.path)
    return JSONResponse(INTERNAL_ERROR_BODY, 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
