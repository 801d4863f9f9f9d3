"""`qr` and `pair` through the Kubernetes API service proxy (kmock) to the WAHA simulator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import kmock
import pytest
import zxingcpp
from PIL import Image

from conectafy.cli.qr_cmd import render_terminal
from conectafy.simulator.app import create_app
from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.core import SimulatedWaha
from tests.cli.conftest import NAMESPACE, SESSIONS, CliRun, make_api_key_secret, make_session

#: kmock's response object (imported by kmock but missing from its __all__).
Response = kmock.Response  # type: ignore[attr-defined]
API_KEY = "sim-key"
PROXY = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/services/waha-sales(?::|%3A)http/proxy(/.*)")
#: A half-block character → (top module light, bottom module light).
HALF_BLOCKS = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}


def decode_terminal_qr(text: str) -> str:
    """Read a terminal-drawn QR back the way a phone would: pixels → zxing-cpp."""
    rows = [line for line in text.splitlines() if line and set(line) <= set(HALF_BLOCKS)]
    scale, width = 8, len(rows[0])
    image = Image.new("L", (width * scale, len(rows) * 2 * scale), 0)
    for y, line in enumerate(rows):
        for x, char in enumerate(line):
            for half, light in enumerate(HALF_BLOCKS[char]):
                if light:
                    box = (x * scale, (2 * y + half) * scale, (x + 1) * scale, (2 * y + half + 1) * scale)
                    image.paste(255, box)
    padded = Image.new("L", (image.width + 8 * scale, image.height + 8 * scale), 255)
    padded.paste(image, (4 * scale, 4 * scale))
    (barcode,) = zxingcpp.read_barcodes(padded)
    return barcode.text


shown_qr_values: list[str] = []  # every QR value the simulator handed out, in order


@pytest.fixture
async def waha(kube: kmock.KubernetesEmulator) -> AsyncIterator[SimulatedWaha]:
    """The simulator behind waha-sales:http, reachable only through kmock's service-proxy URL."""
    app = create_app(SimulatorConfig(api_key=API_KEY, startup_seconds=0))
    sim: SimulatedWaha = app.state.sim
    shown_qr_values.clear()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://waha") as client,
    ):

        async def forward(request: kmock.Request) -> Any:  # a kmock Response
            match = PROXY.fullmatch(request.url.path)
            assert match is not None
            answer = await client.request(
                request.method.value,
                match[1],
                params=dict(request.params),
                content=request.body,
                headers={
                    "X-Api-Key": request.headers.get("X-Api-Key", ""),
                    "Content-Type": request.headers.get("Content-Type", "application/json"),
                },
            )
            if match[1] == "/api/default/auth/qr" and sim.session.status == "SCAN_QR_CODE":
                shown_qr_values.append(answer.json()["value"])
                await client.post("/_sim/scan", headers={"X-Api-Key": API_KEY})  # the phone scans what it got
            return Response(status=answer.status_code, payload=answer.json())

        kube["get", PROXY] << forward
        kube["post", PROXY] << forward
        kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", status={"phase": "ScanQR"})
        kube.objects["v1/secrets", NAMESPACE, "waha-sales"] = make_api_key_secret("sales", API_KEY)
        yield sim


async def test_qr_draws_a_scannable_code_and_waits_until_connected(waha: SimulatedWaha, cli: CliRun) -> None:
    result = await cli("qr", "sales", "--interval", "0.01", "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert [decode_terminal_qr(result.output)] == shown_qr_values
    assert result.output.endswith("Connected: Conectafy Simulator 15550001111@c.us\n")


def test_terminal_rendering_decodes_back_to_the_raw_value() -> None:
    value = "2@3F1C0A9B8E7D6C5B4A392817,bm9pc2U=,aWRlbnRpdHk=,YWR2"
    assert decode_terminal_qr(render_terminal(value)) == value


async def test_pair_prints_the_code_waha_issued(waha: SimulatedWaha, cli: CliRun) -> None:
    result = await cli("pair", "sales", "--phone", "+55 11 98765-4321")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Pairing code: {waha.session.pairing_code}"


async def test_pair_rejects_a_phone_that_is_not_a_number(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    result = await cli("pair", "sales", "--phone", "call me")
    assert result.exit_code == 2
    assert "'call me' is not a phone number" in result.output
    assert len(kube["get"]) == 0


async def test_qr_without_the_operators_secret_says_so(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales")
    result = await cli("qr", "sales")
    assert (result.exit_code, result.output) == (
        1,
        "error: Secret 'waha-sales' not found in 'team': "
        "the operator has not created the session's WAHA yet\n",
    )
