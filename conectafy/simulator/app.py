"""`create_app`: the simulator as an ASGI app, with WAHA's auth, 404 and error bodies."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from conectafy.simulator import control, routes_messages, routes_server, routes_sessions
from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.core import SimulatedWaha
from conectafy.simulator.errors import WahaError, WahaJSON, nest, unauthorized

#: Paths WAHA serves without the key.
OPEN_PATHS = frozenset({"/ping"})


def key_matches(given: str, config: SimulatorConfig) -> bool:
    """WAHA_API_KEY is the key itself or `sha512:<hex of the key>`."""
    expected = config.api_key
    if expected.startswith("sha512:"):
        given, expected = hashlib.sha512(given.encode()).hexdigest(), expected.removeprefix("sha512:").lower()
    return hmac.compare_digest(given.encode(), expected.encode())


def _error_response(exc: WahaError) -> WahaJSON:
    return WahaJSON(exc.body, status_code=exc.status_code)


def _install_handlers(app: FastAPI) -> None:
    async def on_waha_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, WahaError)
        return _error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in (404, 405):
            return _error_response(nest(404, f"Cannot {request.method} {request.url.path}"))
        return WahaJSON({"message": exc.detail, "statusCode": exc.status_code}, status_code=exc.status_code)

    async def on_validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:])} {e['msg']}".strip() for e in exc.errors()]
        return _error_response(nest(400, messages))

    app.add_exception_handler(WahaError, on_waha_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def create_app(config: SimulatorConfig) -> FastAPI:
    """One simulated WAHA container; the session boots (if configured) when the app starts."""
    sim = SimulatedWaha(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.started_ms = int(time.time() * 1000)
        sim.boot()
        try:
            yield
        finally:
            await sim.aclose()

    app = FastAPI(title="WAHA simulator", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.sim = sim
    app.state.started_ms = int(time.time() * 1000)

    @app.middleware("http")
    async def api_key(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """X-Api-Key on every route but /ping, compared in constant time."""
        given = request.headers.get("x-api-key", "")
        if request.url.path not in OPEN_PATHS and not key_matches(given, config):
            return _error_response(unauthorized())
        return await call_next(request)

    _install_handlers(app)
    for module in (routes_server, routes_sessions, routes_messages, control):
        app.include_router(module.router)
    return app
