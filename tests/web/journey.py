"""What the browser test does besides clicking: play the operator and the phone (the WAHA simulator).

The operator does not run in the browser test. Its part is played by writing what it would write on
the kmock resource — the session Secret with WAHA's API key and webhook key, then `.status` (phase,
waStatus, endpoint, phone, push name) — through kmock's HTTP API, as tests/api do.
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import kmock
import zxingcpp
from PIL import Image

from conectafy.operator.manifests import API_KEY, WEBHOOK_HMAC_KEY
from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.support.kube import operator_creates_secret, operator_writes_status

SIM_KEY = "browser-sim-key"
HMAC_KEY = "browser-webhook-hmac-key"
PHONE = "15550001111"
PUSH_NAME = "Acme Support"


@contextlib.asynccontextmanager
async def paired_waha(
    cluster: kmock.KubernetesEmulator, namespace: str, session_name: str, api_url: str
) -> AsyncIterator[RunningSimulator]:
    """The session's WAHA (the simulator, webhooks to the API) as the operator would publish it."""
    keys = {API_KEY: SIM_KEY, WEBHOOK_HMAC_KEY: HMAC_KEY}
    await operator_creates_secret(cluster, namespace, session_name, keys)
    config = SimulatorConfig(
        api_key=SIM_KEY,
        webhook_url=f"{api_url}/webhooks/waha/{namespace}/{session_name}",
        hmac_key=HMAC_KEY,
        retry_delay_seconds=0.2,
        qr_rotation_seconds=600,
        startup_seconds=0,
        status_guard_wait_seconds=0,
        phone_number=PHONE,
        push_name=PUSH_NAME,
    )
    async with run_simulator(config) as sim:
        await operator_writes_status(cluster, namespace, session_name, {
            "phase": "ScanQR", "waStatus": "SCAN_QR_CODE", "endpoint": sim.url, "wahaSession": "default",
        })
        yield sim


async def phone_scans(
    cluster: kmock.KubernetesEmulator, namespace: str, session_name: str, sim: RunningSimulator
) -> None:
    """The phone scans the QR; the operator then sees WORKING and publishes who is connected."""
    await sim_post(sim, "/_sim/scan", {"phone": PHONE, "pushName": PUSH_NAME})
    await operator_writes_status(cluster, namespace, session_name, {
        "phase": "Connected", "waStatus": "WORKING", "phoneNumber": PHONE, "pushName": PUSH_NAME,
    })


async def sim_post(sim: RunningSimulator, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        response = await http.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()


async def sim_get(sim: RunningSimulator, path: str) -> Any:
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        response = await http.get(path)
        assert response.status_code == 200, response.text
        return response.json()


def decode_qr(png: bytes) -> list[str]:
    """What a phone's camera reads from a screenshot of the QR (one string per code found)."""
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def current_qr(sim: RunningSimulator) -> str | None:
    value: str | None = sim.sim.session.qr_value
    return value


def photo(width: int = 480, height: int = 320) -> str:
    """A real JPEG (base64) for the simulated phone to send: a soft gradient with a parcel on it."""
    image = Image.new("RGB", (width, height))
    image.putdata([(250 - y // 4, 214 - y // 6, 170 + x // 8) for y in range(height) for x in range(width)])
    box = Image.new("RGB", (width // 3, height // 3), (176, 124, 78))
    image.paste(box, (width // 3, height // 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return base64.b64encode(out.getvalue()).decode()
