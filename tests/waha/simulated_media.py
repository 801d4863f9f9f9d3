"""A paired simulated WAHA and media messages on it, for the media download and copy tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from conectafy.waha.status import WahaStatus

SIM_KEY = "sim-api-key"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    """A paired simulated WAHA for one test (import this fixture to use it)."""
    async with paired_simulator() as running:
        yield running


@contextlib.asynccontextmanager
async def paired_simulator() -> AsyncIterator[RunningSimulator]:
    """A simulated WAHA whose `default` session is WORKING (logged in), served on 127.0.0.1."""
    config = SimulatorConfig(api_key=SIM_KEY, paired=True, status_guard_wait_seconds=0, startup_seconds=0)
    async with run_simulator(config) as sim:
        status = await sim.sim.session.wait_for({WahaStatus.WORKING}, 10)
        assert status is WahaStatus.WORKING, status
        yield sim


async def inbound_media(sim: RunningSimulator, kind: str = "image", **fields: Any) -> dict[str, Any]:
    """A contact sends a media message (history only, no webhook); the WAMessage WAHA would deliver."""
    body = {"from": "15550002222", "type": kind, "deliver": False, **fields}
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        answer = await http.post("/_sim/messages", json=body)
    assert answer.status_code == 201, answer.text
    payload: dict[str, Any] = answer.json()
    return payload


def media_bytes(sim: RunningSimulator, payload: dict[str, Any]) -> bytes:
    """The file the simulated WAHA holds for a message (what any copy must equal)."""
    name = payload["media"]["url"].rsplit("/", 1)[1]
    return sim.sim.history.files[name].data
