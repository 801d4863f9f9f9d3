"""The operator's only conversation with WAHA: read a session, start/restart it, log it out.

Every call goes to WAHA's `default` session (one WAHA per number) through `WahaClient`; network
failures become data (`WahaView.error`) rather than exceptions, because an unreachable WAHA is a
normal state of a pod that is starting, and the status must say so instead of the handler failing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from conectafy.operator import metrics
from conectafy.waha.client import WahaClient
from conectafy.waha.errors import WahaError
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus


@dataclass(frozen=True)
class WahaEndpoint:
    """Where one session's WAHA answers and the key it wants (from the session's Secret)."""

    base_url: str
    api_key: str
    timeout: float


@dataclass(frozen=True)
class WahaView:
    """What WAHA said about its session, or why it said nothing."""

    status: WahaStatus | None = None
    me_id: str | None = None
    push_name: str | None = None
    error: str | None = None


def _describe(error: WahaError) -> str:
    return f"{error.__class__.__name__}: {error}"


def _client(endpoint: WahaEndpoint) -> WahaClient:
    return WahaClient(endpoint.base_url, api_key=endpoint.api_key, timeout=endpoint.timeout)


async def read_session(endpoint: WahaEndpoint) -> WahaView:
    """GET the session; its status and, once logged in, its own number and push name."""
    started = time.perf_counter()
    try:
        async with _client(endpoint) as client:
            info = await client.get_session(DEFAULT_SESSION)
    except WahaError as error:
        metrics.WAHA_POLL_FAILURES.inc()
        return WahaView(error=_describe(error))
    finally:
        metrics.WAHA_POLL_DURATION.observe(time.perf_counter() - started)
    me = info.me
    return WahaView(
        status=info.status,
        me_id=me.id if me is not None else None,
        push_name=me.push_name if me is not None else None,
    )


async def _act(endpoint: WahaEndpoint, action: Callable[[WahaClient], Awaitable[object]]) -> str | None:
    """Run one session action; the error text when WAHA refused or was unreachable, else None."""
    try:
        async with _client(endpoint) as client:
            await action(client)
    except WahaError as error:
        return _describe(error)
    return None


async def start_session(endpoint: WahaEndpoint) -> str | None:
    """Start a STOPPED session."""
    return await _act(endpoint, lambda client: client.start_session(DEFAULT_SESSION))


async def restart_session(endpoint: WahaEndpoint) -> str | None:
    """Restart a FAILED session (stored credentials are kept, so a linked phone reconnects)."""
    return await _act(endpoint, lambda client: client.restart_session(DEFAULT_SESSION))


async def logout_session(endpoint: WahaEndpoint) -> str | None:
    """Unlink the phone before the data is deleted; bounded by the endpoint's timeout as a whole."""
    try:
        async with asyncio.timeout(endpoint.timeout):
            return await _act(endpoint, lambda client: client.logout_session(DEFAULT_SESSION))
    except TimeoutError:
        return f"WAHA did not answer the logout within {endpoint.timeout:g} s"
