"""Fixtures of the simulator tests: served simulators, an HTTP client, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from conectafy.simulator import RunningSimulator, run_simulator
from conectafy.waha.status import WahaStatus
from tests.simulator.support import API_KEY, Receiver, eventually, fast_config, session_request


@pytest.fixture
async def waha() -> AsyncIterator[RunningSimulator]:
    """A freshly started WAHA process: `default` exists, STOPPED (no WHATSAPP_START_SESSION)."""
    async with run_simulator(fast_config()) as running:
        yield running


@pytest.fixture
async def client(waha: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=waha.url, headers={"X-Api-Key": API_KEY}, trust_env=False) as http:
        yield http


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A webhook receiver on 127.0.0.1 and its base URL."""
    hook = Receiver()
    async with hook.serving() as url:
        yield hook, url


@pytest.fixture
async def waha_client(
    receiver: tuple[Receiver, str],
) -> AsyncIterator[tuple[RunningSimulator, httpx.AsyncClient]]:
    """The simulator with the sample's session webhook (to `receiver`); retry delays scaled down."""
    async with (
        run_simulator(fast_config(retry_delay_scale=0.005)) as waha,
        httpx.AsyncClient(base_url=waha.url, headers={"X-Api-Key": API_KEY}, trust_env=False) as http,
    ):
        await http.delete("/api/sessions/default")
        assert (await http.post("/api/sessions", json=session_request(receiver[1]))).status_code == 201
        await eventually(lambda: waha.sim.session.status == WahaStatus.SCAN_QR_CODE)
        yield waha, http
