"""The kubelet's part for a session's WAHA: run the container the operator's Deployment describes.

The container is the WAHA simulator, configured from the Deployment's environment with its
secretKeyRefs resolved from the Secret the operator generated — so a mismatch of env names, Secret
keys or webhook URL between the operator, WAHA and the API fails here as it would in a cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from conectafy.operator.manifests import API_KEY
from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator

T = TypeVar("T")

#: What the Deployment controller writes once the kubelet reports the pod Ready.
AVAILABLE_STATUS = {
    "replicas": 1,
    "readyReplicas": 1,
    "availableReplicas": 1,
    "updatedReplicas": 1,
    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}],
}


async def until(probe: Callable[[], Awaitable[T | None]], within: float = 20.0) -> T:
    """Await `probe()` until it returns a truthy value; fail with the last value after `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s; last value: {value!r}")
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class WahaPod:
    """The session's running WAHA and the plain API key its control API wants."""

    sim: RunningSimulator
    api_key: str

    async def control(self, method: str, action: str, body: dict[str, Any] | None = None) -> Any:
        """The simulated phone and its contacts (`/_sim/scan`, `/_sim/messages`, `/_sim/sent`)."""
        async with httpx.AsyncClient(base_url=self.sim.url, headers={"X-Api-Key": self.api_key}) as http:
            answer = await http.request(method, f"/_sim/{action}", json=body)
            assert answer.status_code < 300, answer.text
            return answer.json()


def container_env(deployment: dict[str, Any], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The WAHA container's environment as the kubelet resolves it (values and secretKeyRefs)."""
    env: dict[str, str] = {}
    for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def simulator_config(env: dict[str, str]) -> SimulatorConfig:
    """What a WAHA container reads from that environment; the rest are the simulator's speed knobs."""
    return SimulatorConfig(
        api_key=env["WAHA_API_KEY"],
        engine=env["WHATSAPP_DEFAULT_ENGINE"],
        webhook_url=env["WHATSAPP_HOOK_URL"],
        webhook_events=env["WHATSAPP_HOOK_EVENTS"].split(","),
        hmac_key=env["WHATSAPP_HOOK_HMAC_KEY"],
        retry_policy=env["WHATSAPP_HOOK_RETRIES_POLICY"],
        retry_delay_seconds=float(env["WHATSAPP_HOOK_RETRIES_DELAY_SECONDS"]),
        retry_attempts=int(env["WHATSAPP_HOOK_RETRIES_ATTEMPTS"]),
        retry_delay_scale=0.1,
        start_session=env["WHATSAPP_START_SESSION"] == "default",
        startup_seconds=0.05,
        status_guard_wait_seconds=0.1,
    )


@contextlib.asynccontextmanager
async def run_waha_container(
    deployment: dict[str, Any], secret_name: str, secret_data: dict[str, str], port: int
) -> AsyncIterator[WahaPod]:
    """Serve the Deployment's WAHA on 127.0.0.1:`port` until the block exits."""
    env = container_env(deployment, {secret_name: secret_data})
    async with run_simulator(simulator_config(env), port=port) as sim:
        yield WahaPod(sim, secret_data[API_KEY])
