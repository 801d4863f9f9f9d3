"""The world of the operator tests: kmock as the current kube context, and a simulated WAHA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.runner import RunningSimulator, run_simulator
from tests.operator.kopf_harness import ApiServerEmulator, declare_resources, write_kubeconfig
from tests.operator.steps import API_KEY


@pytest.fixture
def kube(kmock: ApiServerEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ApiServerEmulator:
    declare_resources(kmock)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))))
    return kmock


@pytest.fixture
async def simulator() -> AsyncIterator[RunningSimulator]:
    config = SimulatorConfig(api_key=API_KEY, startup_seconds=0.05, status_guard_wait_seconds=0.1)
    async with run_simulator(config) as running:
        yield running
