"""The simulator answers WAHA's captured conversations like the real WAHA 2026.2.1 did.

Each test puts the simulator in the state the capture was made in, replays the captured requests
(tests/fixtures/waha/samples/api-2026-*) and asserts the whole answer: status code and the body,
with run-specific values (message ids, clocks, QR data) blanked. Every answer is also validated
against WAHA's OpenAPI document (openapi-2026.2.1.json). Where that document and the real WAHA
disagree — e.g. `sendText` answers the raw Baileys object, not the declared WAMessage; `/me` is an
empty body before login; sessions carry `config: null`/`me: null` and version `browser: null` —
the samples win: the deviation is accepted only if the captured real answer violates the
document in the same request (`check_openapi`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import zxingcpp
from PIL import Image

from conectafy.simulator import RunningSimulator, run_simulator
from conectafy.waha.status import WahaStatus
from tests.conftest import load_waha_sample
from tests.simulator.openapi import check_openapi
from tests.simulator.support import API_KEY, eventually, fast_config, normalise


async def replay(http: httpx.AsyncClient, name: str) -> httpx.Response:
    """Send the captured request as captured (headers included) and assert the whole answer."""
    sample = load_waha_sample(f"api-2026-{name}.json")
    captured = sample["request"]
    body = captured.get("body")
    response = await http.request(
        captured["method"],
        captured["path"],
        headers=captured.get("headers", {}),
        content=json.dumps(body).encode() if body is not None else None,
    )
    expected = sample["response"]
    assert response.status_code == expected["status"], (name, response.text)
    if expected.get("body") is not None:
        assert normalise(response.json()) == normalise(expected["body"]), name
    elif "body_base64" in expected:
        content_type = dict(expected["headers"])["Content-Type"]
        assert response.headers["content-type"] == content_type
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert response.content == b"" and expected.get("body_text", "") == ""
    if not captured["path"].startswith("/-json"):
        check_openapi(response, sample)
    return response


@pytest.fixture
async def raw(waha: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only the captured headers (auth tests need requests without the key)."""
    async with httpx.AsyncClient(base_url=waha.url, trust_env=False) as http:
        yield http


async def _create(raw: httpx.AsyncClient, waha: RunningSimulator, status: WahaStatus) -> None:
    """The capture's setup: DELETE the boot session, POST it again with the sample config."""
    await replay(raw, "017-session-delete")
    await replay(raw, "024-session-create-start-true")
    await eventually(lambda: waha.sim.session.status == status)


async def _working(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _create(raw, waha, WahaStatus.SCAN_QR_CODE)
    await raw.post("/_sim/scan", headers={"X-Api-Key": API_KEY})
    await eventually(lambda: waha.sim.session.status == WahaStatus.WORKING)


@pytest.mark.parametrize(
    "name",
    [
        "001-ping",
        "002-health",
        "003-api-version",
        "004-server-version",
        "005-server-status",
        "007-auth-no-key",
        "008-auth-wrong-key",
        "009-auth-key-as-query",
        "010-unknown-route",
        "011-sessions-list-initial",
        "012-sessions-list-all-initial",
        "013-session-get-initial",
        "014-session-create-other-name",
        "015-session-create-existing-default",
        "016-session-create-invalid-config",
        "084-G-ping-no-key",
        "085-G-health-no-key",
        "086-G-auth-bearer",
        "087-G-auth-key-as-query-correct",
    ],
)
async def test_fresh_process_answers_like_waha(raw: httpx.AsyncClient, name: str) -> None:
    await replay(raw, name)


async def test_deleted_session_answers_like_waha(raw: httpx.AsyncClient) -> None:
    for name in [
        "017-session-delete",
        "018-session-get-after-delete",
        "019-sessions-list-all-after-delete",
        "020-session-start-after-delete",
        "021-session-create-start-false",
        "022-session-get-after-create-start-false",
        "023-session-delete-2",
    ]:
        await replay(raw, name)


async def test_starting_session_answers_like_waha() -> None:
    async with (
        run_simulator(fast_config(startup_seconds=60)) as waha,
        httpx.AsyncClient(base_url=waha.url) as raw,
    ):
        await replay(raw, "017-session-delete")
        for name in [
            "024-session-create-start-true",
            "025-session-get-starting",
            "026-session-start-when-running",
            "027-me-starting",
        ]:
            await replay(raw, name)


async def test_pairing_session_answers_like_waha(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _create(raw, waha, WahaStatus.SCAN_QR_CODE)
    for name in [
        "028-session-get-scan-qr",
        "029-sessions-list-scan-qr",
        "030-qr-image",
        "031-qr-image-accept-json",
        "032-qr-raw",
        "034-me-scan-qr",
        "035-pairing-code",
        "036-pairing-code-with-method",
        "037-sendtext-scan-qr",
    ]:
        await replay(raw, name)


async def test_qr_image_encodes_the_raw_qr_value(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _create(raw, waha, WahaStatus.SCAN_QR_CODE)
    image = (await replay(raw, "030-qr-image")).content
    value = (await replay(raw, "032-qr-raw")).json()["value"]
    import io

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    assert [(code.format.name, code.text) for code in decoded] == [("QRCode", value)]
    assert value.startswith("2@") and len(value.split(",")) == 4


async def test_working_session_answers_like_waha(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _working(raw, waha)
    for name in [
        "039-session-get-working",
        "040-sessions-list-working",
        "041-me-working",
        "042-qr-working",
        "043-screenshot-working",
        "044-sendtext-working",
        "045-sendtext-reply-to",
        "046-sendtext-missing-chatid",
        "047-sendtext-session-omitted",
        "048-sendtext-unknown-session",
        "050-media-file-get-missing",
    ]:
        await replay(raw, name)


async def test_stopped_session_answers_like_waha(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _working(raw, waha)
    await replay(raw, "060-session-restart-working")
    await eventually(lambda: waha.sim.session.status == WahaStatus.WORKING)
    for name in [
        "061-session-stop-working",
        "062-session-get-stopped",
        "063-sessions-list-stopped",
        "064-sessions-list-all-stopped",
        "065-me-stopped",
        "066-qr-stopped",
        "067-sendtext-stopped",
        "068-session-stop-again",
        "069-session-start-with-creds",
    ]:
        await replay(raw, name)
    await eventually(lambda: waha.sim.session.status == WahaStatus.WORKING)


async def test_failed_session_answers_like_waha(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _working(raw, waha)
    await raw.post("/_sim/unlink", headers={"X-Api-Key": API_KEY})
    for name in [
        "070-session-get-failed",
        "071-me-failed",
        "072-sendtext-failed",
        "073-session-logout-failed",
    ]:
        await replay(raw, name)
    await eventually(lambda: waha.sim.session.status == WahaStatus.SCAN_QR_CODE)
    for name in [
        "074-session-get-after-logout",
        "075-session-stop-final",
        "076-session-logout-stopped",
        "077-session-get-after-logout-stopped",
        "078-session-delete-final",
        "079-sessions-list-all-final",
        "080-F-session-create-again",
    ]:
        await replay(raw, name)


async def test_restarted_process_with_stored_creds_answers_like_waha() -> None:
    config = fast_config(start_session=True, paired=True)
    async with run_simulator(config) as waha, httpx.AsyncClient(base_url=waha.url) as raw:
        await eventually(lambda: waha.sim.session.status == WahaStatus.WORKING)
        await replay(raw, "081-F-session-get-after-process-restart")
        await replay(raw, "082-F-me-after-process-restart")


async def test_config_update_restarts_like_waha(raw: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await _working(raw, waha)
    await replay(raw, "083-session-update-put-webhook-fail")


async def test_create_without_a_name_gets_a_generated_one_that_core_refuses(
    client: httpx.AsyncClient,
) -> None:
    await client.delete("/api/sessions/default")
    answer = await client.post("/api/sessions", json={"start": True})
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(
        "WAHA Core support only 'default' session. You tried to access 'session_"
    )
