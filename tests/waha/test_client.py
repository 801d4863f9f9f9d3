"""The client driving a whole WAHA: the simulator by default, a real WAHA when WAHA_URL is set.

Run against a real WAHA 2026.x with `WAHA_URL=http://127.0.0.1:3000 WAHA_API_KEY=... pytest
tests/waha/test_client.py`; tests marked `needs_whatsapp` (a paired phone) are skipped there.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest
import zxingcpp
from PIL import Image

from conectafy.waha import (
    HmacConfig,
    Me,
    MediaFile,
    RetriesConfig,
    SessionConfig,
    WahaAlreadyStarted,
    WahaClient,
    WahaNotFound,
    WahaSessionExists,
    WahaStatus,
    WahaStatusConflict,
    WahaUnauthorized,
    WebhookConfig,
)
from tests.support.waha_target import WahaTarget, waha_target

CHAT = "15550002222@c.us"
CONFIG = SessionConfig(
    metadata={"tenant": "acme", "number": "+15550001111"},
    webhooks=[
        WebhookConfig(
            url="http://127.0.0.1:9/waha",
            events=["session.status", "message"],
            hmac=HmacConfig(key="test-hmac-secret"),
            retries=RetriesConfig(policy="constant", delay_seconds=1, attempts=1),
        )
    ],
)
RUNNING = (WahaStatus.STARTING, WahaStatus.SCAN_QR_CODE)


@pytest.fixture
async def waha(request: pytest.FixtureRequest) -> AsyncIterator[WahaTarget]:
    async with waha_target(request.node.get_closest_marker("needs_whatsapp") is not None) as target:
        yield target


async def test_ping_is_the_only_route_open_without_a_key(waha: WahaTarget) -> None:
    async with WahaClient(waha.url, api_key=None, retries=0) as anonymous:
        await anonymous.ping()
        with pytest.raises(WahaUnauthorized):
            await anonymous.version()


async def test_version_names_the_build_and_engine(waha: WahaTarget) -> None:
    server = await waha.client.version()
    assert (
        bool(re.fullmatch(r"\d{4}\.\d+\.\d+", server.version)),
        server.engine in {"WEBJS", "NOWEB", "GOWS", "WPP"},
    ) == (
        True,
        True,
    )


async def test_a_wrong_key_is_unauthorized(waha: WahaTarget) -> None:
    async with WahaClient(waha.url, api_key="not-the-key", retries=0) as intruder:
        with pytest.raises(WahaUnauthorized) as raised:
            await intruder.list_sessions()
    assert (raised.value.status_code, raised.value.message) == (401, "Unauthorized")


async def test_created_session_echoes_its_config(waha: WahaTarget) -> None:
    created = await waha.fresh(CONFIG)
    fetched = await waha.client.get_session()
    assert (created.name, created.status in RUNNING, created.config, fetched.config) == (
        "default",
        True,
        CONFIG,
        CONFIG,
    )


async def test_update_replaces_the_config(waha: WahaTarget) -> None:
    await waha.fresh(CONFIG)
    changed = SessionConfig(metadata={"tenant": "globex"}, webhooks=[])
    updated = await waha.client.update_session("default", changed)
    assert (updated.config, (await waha.client.get_session()).config) == (changed, changed)


async def test_creating_an_existing_session_raises_session_exists(waha: WahaTarget) -> None:
    await waha.fresh()
    with pytest.raises(WahaSessionExists):
        await waha.client.create_session(start=True)


async def test_starting_a_running_session_raises_already_started(waha: WahaTarget) -> None:
    await waha.fresh()
    with pytest.raises(WahaAlreadyStarted):
        await waha.client.start_session()


async def test_apply_session_updates_and_starts_an_existing_stopped_session(waha: WahaTarget) -> None:
    await waha.fresh()
    await waha.client.stop_session()
    applied = await waha.client.apply_session("default", CONFIG)
    assert (applied.status in RUNNING, applied.config) == (True, CONFIG)


async def test_apply_session_creates_a_deleted_session(waha: WahaTarget) -> None:
    await waha.client.delete_session()
    applied = await waha.client.apply_session("default", CONFIG)
    assert (applied.status in RUNNING, applied.config) == (True, CONFIG)


async def test_stop_reports_stopped(waha: WahaTarget) -> None:
    await waha.fresh()
    assert (await waha.client.stop_session()).status is WahaStatus.STOPPED


async def test_listing_without_all_hides_stopped_sessions(waha: WahaTarget) -> None:
    await waha.fresh()
    await waha.client.stop_session()
    listed = {
        "running_only": [s.name for s in await waha.client.list_sessions(all=False)],
        "all": [(s.name, s.status) for s in await waha.client.list_sessions(all=True)],
    }
    assert listed == {"running_only": [], "all": [("default", WahaStatus.STOPPED)]}


async def test_me_of_a_stopped_session_is_not_found(waha: WahaTarget) -> None:
    await waha.fresh()
    await waha.client.stop_session()
    with pytest.raises(WahaNotFound):
        await waha.client.get_me()


async def test_delete_is_idempotent_and_forgets_the_session(waha: WahaTarget) -> None:
    await waha.fresh()
    await waha.client.delete_session()
    await waha.client.delete_session()
    with pytest.raises(WahaNotFound):
        await waha.client.get_session()


async def test_me_is_none_until_the_qr_is_scanned(waha: WahaTarget) -> None:
    await waha.scan_qr_code()
    assert await waha.client.get_me() is None


async def test_qr_image_encodes_the_raw_qr_value(waha: WahaTarget) -> None:
    await waha.scan_qr_code()
    png = await waha.client.get_qr_image()
    value = await waha.client.get_qr_value()
    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert (png[:8], decoded) == (b"\x89PNG\r\n\x1a\n", [value])


async def test_sending_before_login_is_a_status_conflict(waha: WahaTarget) -> None:
    await waha.scan_qr_code()
    with pytest.raises(WahaStatusConflict) as raised:
        await waha.client.send_text("default", CHAT, "too early")
    assert (raised.value.status, raised.value.expected) == (WahaStatus.SCAN_QR_CODE, [WahaStatus.WORKING])


@pytest.mark.needs_whatsapp
async def test_pairing_code_is_eight_characters(waha: WahaTarget) -> None:
    """Marked: the real WhatsApp checks the number before it hands out a code."""
    await waha.scan_qr_code()
    code = await waha.client.request_pairing_code("default", "+15550001111")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)


@pytest.mark.needs_whatsapp
async def test_scanning_logs_the_account_in(waha: WahaTarget) -> None:
    session = await waha.working()
    expected = Me(id="15550001111@c.us", push_name="Conectafy Simulator", lid="123456789012345@lid")
    assert (session.me, await waha.client.get_me()) == (expected, expected)


@pytest.mark.needs_whatsapp
async def test_sent_text_reaches_the_phone_under_the_serialized_id(waha: WahaTarget) -> None:
    await waha.working()
    sent = await waha.client.send_text("default", CHAT, "Hello from Conectafy")
    received = [(m["id"], m["body"]) for m in await waha.phone_log("sent")]
    assert received == [(sent.id, "Hello from Conectafy")]


@pytest.mark.needs_whatsapp
async def test_media_of_every_kind_is_sent(waha: WahaTarget) -> None:
    await waha.working()
    pdf = MediaFile.from_bytes(b"%PDF-1.7 test", "application/pdf", "invoice.pdf")
    sent = [
        await waha.client.send_image("default", CHAT, MediaFile.from_bytes(b"\xff\xd8jpeg", "image/jpeg")),
        await waha.client.send_file("default", CHAT, pdf, caption="Invoice"),
        await waha.client.send_voice(
            "default", CHAT, MediaFile.from_bytes(b"OggS", "audio/ogg; codecs=opus")
        ),
        await waha.client.send_video("default", CHAT, MediaFile.from_bytes(b"mp4", "video/mp4", "v.mp4")),
    ]
    received = [(m["id"], m["media"]["mimetype"]) for m in await waha.phone_log("sent")]
    assert received == [
        (sent[0].id, "image/jpeg"),
        (sent[1].id, "application/pdf"),
        (sent[2].id, "audio/ogg; codecs=opus"),
        (sent[3].id, "video/mp4"),
    ]


@pytest.mark.needs_whatsapp
async def test_history_backfills_messages_no_webhook_announced(waha: WahaTarget) -> None:
    await waha.working()
    inbound = await waha.phone(
        "messages", {"from": "15550002222", "text": "sent while down", "deliver": False}
    )
    chats = [chat.id for chat in await waha.client.list_chats("default", limit=10)]
    history = await waha.client.list_messages("default", CHAT, limit=10)
    assert (len(chats), [(m.id, m.body, m.from_me) for m in history]) == (
        1,
        [(inbound["id"], "sent while down", False)],
    )


@pytest.mark.needs_whatsapp
async def test_logout_returns_to_the_qr(waha: WahaTarget) -> None:
    await waha.working()
    await waha.client.logout_session()
    await waha.wait_for(WahaStatus.SCAN_QR_CODE)
    assert await waha.client.get_me() is None


@pytest.mark.needs_whatsapp
async def test_restart_keeps_the_login(waha: WahaTarget) -> None:
    await waha.working()
    restarted = await waha.client.restart_session()
    working = await waha.wait_for(WahaStatus.WORKING)
    assert (restarted.status in (WahaStatus.STARTING, WahaStatus.WORKING), working.me is not None) == (
        True,
        True,
    )
