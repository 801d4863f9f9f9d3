"""Helpers for the simulator tests: fast settings, a real webhook receiver, sample normalising."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conectafy.simulator import RunningSimulator, SimulatorConfig
from conectafy.simulator.runner import serve
from conectafy.waha.status import WahaStatus
from tests.conftest import load_waha_sample

API_KEY = "test-api-key"
HMAC_KEY = "test-hmac-secret"


def fast_config(**overrides: Any) -> SimulatorConfig:
    """Settings that match the captured samples (NOWEB, the sample account) and keep tests fast."""
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "engine": "NOWEB",
        "push_name": "Acme Support",
        "phone_number": "15550001111",
        "public_url": "http://127.0.0.1:3000",
        "files_folder": "/app/.data/media",
        "start_session": False,
        "startup_seconds": 0.01,
        "status_guard_wait_seconds": 0.05,
        "retry_delay_seconds": 0.02,
        "retry_attempts": 3,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


@dataclass(frozen=True)
class Received:
    """One webhook POST exactly as it arrived: path, raw header list (wire order) and raw body."""

    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records deliveries and can answer 500 on demand."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_next = 0
        self._changed = asyncio.Event()
        self.app = Starlette(routes=[Route("/{path:path}", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        headers = [(k.decode(), v.decode()) for k, v in request.headers.raw]
        self.received.append(Received(request.url.path, headers, await request.body()))
        self._changed.set()
        self._changed = asyncio.Event()
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response(status_code=500)
        return Response(status_code=200)

    async def wait_until(self, check: Callable[[list[Received]], bool], within: float = 5.0) -> None:
        """Wait (event-driven, bounded) until `check(received)` holds."""
        async with asyncio.timeout(within):
            while not check(self.received):
                await self._changed.wait()

    @contextlib.asynccontextmanager
    async def serving(self, port: int = 0) -> AsyncIterator[str]:
        async with serve(self.app, port=port) as url:
            yield url


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Poll an in-process condition with a bound: the simulator's state changes in its own tasks
    and plain attributes/lists have no event to wait on."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - bounded poll of state owned by other tasks
            await asyncio.sleep(0.005)


_WA_ID = re.compile(r"3EB0[0-9A-Z]{12,20}")
_EVENT_ID = re.compile(r"^evt_[0-9a-z]{26}$")


def normalise(value: Any) -> Any:
    """Blank what differs between two runs of WAHA: message ids, clocks, QR data, codes."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in {"timestamp", "messageTimestamp", "startTimestamp", "uptime", "conversationTimestamp"}:
                out[key] = "<time>"
            elif key in {"value", "data", "code", "stack"} and isinstance(item, str):
                out[key] = f"<{key}>"
            else:
                out[key] = normalise(item)
        return out
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str):
        return "<evt>" if _EVENT_ID.match(value) else _WA_ID.sub("<wa-id>", value)
    return value


def session_request(url: str) -> dict[str, Any]:
    """The captured create request (sample 024: metadata, HMAC key, custom header, 3 constant
    retries of 2 s), with its webhook pointed at our receiver."""
    body: dict[str, Any] = load_waha_sample("api-2026-024-session-create-start-true.json")["request"]["body"]
    body["config"]["webhooks"][0]["url"] = f"{url}/session"
    return body


async def scan(waha: RunningSimulator, http: httpx.AsyncClient) -> None:
    """Link the phone, then wait until WORKING and every webhook queued so far was handled."""
    await eventually(lambda: waha.sim.session.status == WahaStatus.SCAN_QR_CODE)
    await http.post("/_sim/scan")
    await eventually(lambda: waha.sim.session.status == WahaStatus.WORKING)
    await waha.sim.sender.join()


def events(received: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in received]


def statuses(received: list[Received]) -> list[str]:
    return [e["payload"]["status"] for e in events(received) if e["event"] == "session.status"]
