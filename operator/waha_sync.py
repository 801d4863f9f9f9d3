"""The operator's only conversation with WAHA: read a session, start/restart it, log it out.

Every call goes to WAHA's `default` session (one WAHA per number). `WahaClients` keeps one client
per session open between polls, so a poll reuses its keep-alive connection instead of a new TCP
(and, in a cluster, DNS) round trip every time. Network failures become data (`WahaView.error`)
rather than exceptions: an unreachable WAHA is a normal state of a starting pod.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

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


class WahaClients:
    """One open `WahaClient` per session (keyed by session uid), replaced when its endpoint changes."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._clients: dict[str, tuple[WahaEndpoint, WahaClient]] = {}

    def __len__(self) -> int:
        return len(self._clients)

    async def client(self, key: str, endpoint: WahaEndpoint) -> WahaClient:
        kept = self._clients.get(key)
        if kept is not None and kept[0] == endpoint:
            return kept[1]
        if kept is not None:
            await kept[1].aclose()
        client = WahaClient(
            endpoint.base_url, api_key=endpoint.api_key, timeout=endpoint.timeout, transport=self._transport
        )
        self._clients[key] = (endpoint, client)
        return client

    async def close(self, key: str) -> None:
        kept = self._clients.pop(key, None)
        if kept is not None:
            await kept[1].aclose()

    async def aclose(self) -> None:
        for key in list(self._clients):
            await self.close(key)


def _describe(error: WahaError) -> str:
    return f"{error.__class__.__name__}: {error}"


async def read_session(client: WahaClient) -> WahaView:
    """GET the session; its status and, once logged in, its own number and push name."""
    started = time.perf_counter()
    try:
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


async def _act(client: WahaClient, action: Callable[[WahaClient], Awaitable[object]]) -> str | None:
    """Run one session action; the error text when WAHA refused or was unreachable, else None."""
    try:
        await action(client)
    except WahaError as error:
        return _describe(error)
    return None


async def start_session(client: WahaClient) -> str | None:
    """Start a STOPPED session."""
    return await _act(client, lambda waha: waha.start_session(DEFAULT_SESSION))


async def restart_session(client: WahaClient) -> str | None:
    """Restart a FAILED session (stored credentials are kept, so a linked phone reconnects)."""
    return await _act(client, lambda waha: waha.restart_session(DEFAULT_SESSION))


async def logout_with(client: WahaClient) -> str | None:
    """Log out through the session's open client (self-healing: the phone unlinked this device)."""
    return await _act(client, lambda waha: waha.logout_session(DEFAULT_SESSION))


async def logout_session(endpoint: WahaEndpoint) -> str | None:
    """Unlink the phone before the data is deleted; its own short-lived client, bounded as a whole."""
    try:
        async with asyncio.timeout(endpoint.timeout):
            async with WahaClient(
                endpoint.base_url, api_key=endpoint.api_key, timeout=endpoint.timeout
            ) as client:
                return await _act(client, lambda waha: waha.logout_session(DEFAULT_SESSION))
    except TimeoutError:
        return f"WAHA did not answer the logout within {endpoint.timeout:g} s"
