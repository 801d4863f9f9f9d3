"""One WAHA HTTP exchange: X-Api-Key, timeout, retries on idempotent calls, typed errors.

Retries use `stamina` (exponential backoff with jitter) and only ever wrap GET, PUT and DELETE,
which WAHA treats idempotently; a POST (a send, a create, a start) is tried once, because
repeating it after a timeout could send a WhatsApp message twice.
"""

from __future__ import annotations

import functools
import ssl
import time
from typing import Any, TypeVar

import httpx
import stamina
from pydantic import BaseModel, ValidationError

from conectafy.logs import get_logger
from conectafy.waha.errors import (
    WahaError,
    WahaInvalidResponse,
    WahaMediaTooLarge,
    WahaServerError,
    WahaUnavailable,
    error_for_status,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Methods WAHA handles idempotently (GET reads; PUT replaces a config; DELETE twice answers 200).
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
#: First backoff delay and cap in seconds; stamina doubles the delay and adds jitter each attempt.
BACKOFF_INITIAL = 0.2
BACKOFF_MAX = 5.0
BACKOFF_JITTER = 0.5

log = get_logger("conectafy.waha")


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One verifying TLS context for every WAHA client of the process. httpx builds a new one per
    client by default, loading the whole CA bundle: 0.8 MiB and 60 ms of CPU each, measured. The operator
    keeps a client per session, so 500 sessions cost 400 MiB and 30 CPU seconds for nothing (WAHA is
    usually plain HTTP inside the cluster)."""
    return httpx.create_ssl_context()


def _retryable(exc: Exception) -> bool:
    """Network trouble and 5xx may be transient; 4xx answers will not change by asking again."""
    return isinstance(exc, WahaUnavailable | WahaServerError)


class WahaHttp:
    """The httpx client underneath `WahaClient`; owns the connection pool."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None,
        retries: int,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        headers = {"X-Api-Key": api_key} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            verify=shared_tls(),
        )
        self._attempts = retries + 1

    async def aclose(self) -> None:
        await self._client.aclose()

    async def download(self, path: str, *, max_bytes: int) -> tuple[bytes, str | None]:
        """A file's bytes and Content-Type, read as a stream and refused past `max_bytes`."""
        return await read_capped(self._client, path, max_bytes=max_bytes)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send once (POST) or with retries (GET/PUT/DELETE); a non-2xx answer raises `WahaError`."""
        attempts = self._attempts if method in IDEMPOTENT_METHODS else 1
        async for attempt in stamina.retry_context(
            on=_retryable,
            attempts=attempts,
            timeout=None,
            wait_initial=BACKOFF_INITIAL,
            wait_max=BACKOFF_MAX,
            wait_jitter=BACKOFF_JITTER,
        ):
            with attempt:
                return await self._send(method, path, params=params, json=json, headers=headers)
        raise AssertionError("stamina ran no attempt")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None,
        json: Any,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        started = time.monotonic()
        try:
            response = await self._client.request(method, path, params=params, json=json, headers=headers)
        except httpx.TimeoutException as exc:
            log.warning("waha.timeout", method=method, path=path)
            raise WahaUnavailable(None, f"WAHA did not answer {method} {path} in time: {exc!r}") from exc
        except httpx.TransportError as exc:
            log.warning("waha.unreachable", method=method, path=path, error=repr(exc))
            raise WahaUnavailable(None, f"WAHA unreachable for {method} {path}: {exc!r}") from exc
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        log.debug("waha.response", method=method, path=path, status=response.status_code, ms=elapsed_ms)
        if response.is_success:
            return response
        error = error_for_status(response.status_code, _error_body(response), response.reason_phrase)
        log.info("waha.error", method=method, path=path, status=response.status_code, error=repr(error))
        raise error


async def read_capped(client: httpx.AsyncClient, path: str, *, max_bytes: int) -> tuple[bytes, str | None]:
    """GET `path` streaming, stopping at `max_bytes` (a huge file never fills memory); body and type."""
    try:
        async with client.stream("GET", path) as response:
            if not response.is_success:
                await response.aread()
                body = _error_body(response)
                raise error_for_status(response.status_code, body, response.reason_phrase)
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise WahaMediaTooLarge(response.status_code, f"{path} is {declared} bytes, over {max_bytes}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise WahaMediaTooLarge(response.status_code, f"{path} is over {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type")
    except httpx.TransportError as exc:
        raise WahaUnavailable(None, f"WAHA unreachable for GET {path}: {exc!r}") from exc


def _error_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON of a 2xx answer, or None for WAHA's empty bodies (e.g. /me before login)."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError as exc:
        message = f"WAHA answered non-JSON: {exc}"
        raise WahaInvalidResponse(response.status_code, message, response.text) from exc


def parse(model: type[ModelT], response: httpx.Response) -> ModelT:
    """Validate a 2xx JSON answer into `model`; a mismatch is a contract drift, reported as such."""
    body = json_body(response)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _drift(response, model.__name__, exc, body) from exc


def parse_list(model: type[ModelT], response: httpx.Response) -> list[ModelT]:
    body = json_body(response)
    if not isinstance(body, list):
        raise WahaInvalidResponse(response.status_code, f"expected a JSON array of {model.__name__}", body)
    try:
        return [model.model_validate(item) for item in body]
    except ValidationError as exc:
        raise _drift(response, model.__name__, exc, body) from exc


def _drift(response: httpx.Response, name: str, exc: ValidationError, body: Any) -> WahaError:
    message = f"WAHA's answer is not a valid {name}: {exc.error_count()} error(s): {exc.errors()[0]['msg']}"
    return WahaInvalidResponse(response.status_code, message, body)
