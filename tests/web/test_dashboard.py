"""The dashboard in Debian's Chromium against the real API, PostgreSQL, kmock and the WAHA simulator.

One journey, as a user lives it (each step builds on the one before, so it is one test): register →
create a number → its QR, refreshed when WAHA rotates it → the phone scans → Connected → messages
arrive live with an unread badge → opening the chat clears it → the reply reaches the phone and its
read receipt shows; a photo and a voice note play inline and a document downloads. A second user
then sees none of it. The operator does not run: its part is played on the kmock resource
(tests/web/journey.py). Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import kmock
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from conectafy.simulator import RunningSimulator
from conectafy.waha.status import WahaStatus
from tests.support.kube import eventually, operator_writes_status
from tests.support.sessions import operator_status
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, NAMESPACE
from tests.web.journey import current_qr, decode_qr, paired_waha, phone_scans, photo, sim_get, sim_post

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"
ALICE = "15550002222"
BOB = "15550003333"
CAROL = "15550004444"
MESSAGES_IN_LONG_CHAT = 45
REPLY = "Yes, it left the warehouse this morning."
expect.set_options(timeout=15_000)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def new_page(browser: Browser, api_url: str, errors: list[str]) -> Page:
    """A fresh profile (its own localStorage) that records console errors and uncaught exceptions."""
    context = await browser.new_context(base_url=api_url, viewport={"width": 1360, "height": 860})
    page = await context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


async def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


async def register(page: Page, email: str) -> None:
    await page.goto("/register")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Connect your first WhatsApp number")).to_be_visible()


async def sign_up_and_create_number(page: Page) -> None:
    await page.goto("/login")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text("Enter your email address.")).to_be_visible()
    await shoot(page, "login")
    await register(page, "ana@acme-store.example")
    await page.reload()  # the session survives a reload
    await page.get_by_role("button", name="Connect a number").click()
    await create_number(page, "Support")


async def create_number(page: Page, name: str) -> None:
    await page.get_by_label("Name").fill(name)
    await page.get_by_role("button", name="Create and pair").click()
    await expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]+/pair$"))


async def pair_by_qr(
    page: Page, cluster: kmock.KubernetesEmulator, session_name: str, sim: RunningSimulator
) -> None:
    """QR shown, replaced when WAHA rotates it, then the success state the moment the phone scans."""
    qr = page.get_by_test_id("qr-image")
    await expect(qr).to_be_visible(timeout=45_000)  # the operator starts WAHA first: slow on a busy machine
    await expect(page.get_by_test_id("session-status")).to_have_text("Scan QR")
    await shoot(page, "qr")
    assert decode_qr(await qr.screenshot()) == [current_qr(sim)]
    first_qr = await qr.get_attribute("src")
    await sim_post(sim, "/_sim/qr/rotate", {})
    await expect(qr).not_to_have_attribute("src", first_qr or "")
    assert decode_qr(await qr.screenshot()) == [current_qr(sim)]
    await phone_scans(cluster, NAMESPACE, session_name, sim)
    await expect(page.get_by_test_id("pair-success")).to_be_visible()


async def receive_messages(page: Page, sim: RunningSimulator) -> None:
    """Messages arrive live: a new chat appears with its unread count; opening it clears the badge."""
    await expect(page.get_by_text("No chats yet.")).to_be_visible()
    for sender, body in ((BOB, {"type": "document", "filename": "invoice.pdf", "pushName": "Bob Stone"}),
                         (ALICE, {"text": "Hi! Did my order ship?", "pushName": "Alice Park"}),
                         (ALICE, {"text": "It's order nº 4471, thanks!", "pushName": "Alice Park"})):
        await sim_post(sim, "/_sim/messages", {"from": sender, **body})
    alice = page.get_by_test_id("contact").filter(has_text="Alice Park")
    await expect(alice.get_by_test_id("unread-badge")).to_have_text("2")
    await expect(alice).to_contain_text("order nº 4471")
    await alice.click()
    await expect(page.get_by_test_id("message")).to_have_count(2)
    await expect(alice.get_by_test_id("unread-badge")).to_have_count(0)


async def reply(page: Page, sim: RunningSimulator) -> None:
    """The reply reaches the phone; the contact's read receipt turns its ticks to "Read"."""
    await page.get_by_label("Message", exact=True).fill(REPLY)
    await page.keyboard.press("Enter")
    mine = page.locator("[data-testid=message][data-from-me=true]")
    await expect(mine).to_contain_text(REPLY)
    sent = await sim_get(sim, "/_sim/sent")
    assert [(m["from"], m["fromMe"], m["body"]) for m in sent] == [(f"{ALICE}@c.us", True, REPLY)]
    await sim_post(sim, "/_sim/acks", {"messageId": sent[0]["id"], "ack": "READ"})
    await expect(mine.get_by_test_id("ack")).to_have_attribute("data-ack", "3")
    await expect(mine).to_have_count(1)  # the API's answer and WAHA's echo are one message


async def see_media(page: Page, sim: RunningSimulator) -> None:
    """Photos and voice notes show inline and documents download, all through the API's media route."""
    caption = "This is the box that came"
    image = {"type": "image", "text": caption, "data": photo(), "mimetype": "image/jpeg"}
    await sim_post(sim, "/_sim/messages", {"from": ALICE, **image, "pushName": "Alice Park"})
    await sim_post(sim, "/_sim/messages", {"from": ALICE, "type": "audio", "pushName": "Alice Park"})
    picture = page.get_by_role("img", name=caption)
    await expect(picture).to_have_attribute("src", re.compile(r"^blob:"))
    assert await picture.evaluate("img => img.decode().then(() => img.naturalWidth)") == 480
    voice = page.get_by_test_id("media-audio")
    await expect(voice).to_have_attribute("src", re.compile(r"^blob:"))
    seconds = """audio => audio.readyState ? audio.duration
        : new Promise(done => { audio.onloadedmetadata = () => done(audio.duration); })"""
    assert round(await voice.evaluate(seconds)) == 1  # the simulator's one-second voice note
    await page.get_by_test_id("contact").filter(has_text="Bob Stone").click()
    async with page.expect_download() as saving:
        await page.get_by_role("button", name="Download invoice.pdf").click()
    download = await saving.value
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert (download.suggested_filename, content[:5]) == ("invoice.pdf", b"%PDF-")
    await page.get_by_test_id("contact").filter(has_text="Alice Park").click()
    await expect(page.get_by_role("img", name=caption)).to_be_visible()


async def scroll_back(page: Page, sim: RunningSimulator) -> None:
    """A long chat opens on its newest page; scrolling to the top loads the older messages."""
    for n in range(MESSAGES_IN_LONG_CHAT):
        body = {"from": CAROL, "text": f"message {n:02d}", "pushName": "Carol Diaz"}
        await sim_post(sim, "/_sim/messages", body)
    carol = page.get_by_test_id("contact").filter(has_text="Carol Diaz")
    await expect(carol.get_by_test_id("unread-badge")).to_have_text(str(MESSAGES_IN_LONG_CHAT))
    await carol.click()
    messages = page.get_by_test_id("message")
    await expect(messages).to_have_count(40)  # the dashboard's page size
    await expect(messages.last).to_contain_text(f"message {MESSAGES_IN_LONG_CHAT - 1:02d}")
    await page.get_by_test_id("message-scroller").evaluate("box => { box.scrollTop = 0; }")
    await expect(messages).to_have_count(MESSAGES_IN_LONG_CHAT)
    await expect(messages.first).to_contain_text("message 00")
    await expect(page.get_by_text("Beginning of the conversation")).to_be_visible()


async def shoot_themes(page: Page) -> None:
    await shoot(page, "chat")
    await page.get_by_role("button", name="Switch to dark mode").click()
    await shoot(page, "chat-dark")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shoot(page, "chat-phone")
    await page.get_by_role("link", name="Back to chats").click()
    await shoot(page, "chats-phone")


async def test_the_whole_journey_in_chromium(
    browser: Browser, api_url: str, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    errors: list[str] = []
    page = await new_page(browser, api_url, errors)
    await sign_up_and_create_number(page)
    session_id, session_name = await db_pool.fetchrow("SELECT id, session_name FROM whatsapp_sessions")
    async with paired_waha(cluster, NAMESPACE, session_name, api_url) as sim:
        await pair_by_qr(page, cluster, session_name, sim)
        await page.get_by_role("link", name="All numbers").click()
        await page.get_by_role("button", name="New number").click()
        await create_number(page, "Sales")  # a second number, never paired: it stays "Starting"
        await page.get_by_role("link", name="All numbers").click()
        card = page.get_by_test_id("session-card").filter(has_text="Support")
        await expect(page.get_by_test_id("session-card").filter(has_text="Sales")).to_contain_text("Starting")
        await expect(card.get_by_test_id("session-status")).to_have_text("Connected")
        await expect(card.get_by_test_id("session-phone")).to_have_text("+1555 000 1111")
        await shoot(page, "sessions")
        await card.get_by_role("link", name=re.compile("Open chats")).click()
        await receive_messages(page, sim)
        await reply(page, sim)
        await see_media(page, sim)
        await shoot_themes(page)
        await scroll_back(page, sim)
        # Closed while the simulator still runs: sse-starlette ends every SSE stream of this event
        # loop when any uvicorn server in it (here the simulator's) shuts down.
        await page.context.close()
    assert errors == []

    intruder = await new_page(browser, api_url, [])
    await register(intruder, "mallory@example.com")
    await intruder.goto(f"/sessions/{session_id}/chats/{ALICE}%40c.us")
    await expect(intruder.get_by_text("This number does not exist (or is not yours).")).to_be_visible()
    await expect(intruder.get_by_text("Alice Park")).to_have_count(0)
    await intruder.goto("/sessions")
    await expect(intruder.get_by_role("heading", name="Connect your first WhatsApp number")).to_be_visible()


async def listed_wa_status(page: Page, api_url: str) -> list[str | None]:
    """What `GET /api/sessions` says now, asked with the signed-in page's own token."""
    token = await page.evaluate("JSON.parse(localStorage.getItem('conectafy.auth')).accessToken")
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {token}"}) as http:
        return [item["wa_status"] for item in (await http.get("/api/sessions")).json()]


async def test_a_passkey_request_asks_to_confirm_on_the_phone(
    browser: Browser, api_url: str, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    """WAHA's passkey state (phase ScanQR) asks to confirm on the phone, on the pairing page and on the
    card, once the operator's status (the one source of a session's state) says so."""
    errors: list[str] = []
    page = await new_page(browser, api_url, errors)
    await register(page, "pat@acme-store.example")
    await page.get_by_role("button", name="Connect a number").click()
    await create_number(page, "Front desk")
    session_name = await db_pool.fetchval("SELECT session_name FROM whatsapp_sessions")
    async with paired_waha(cluster, NAMESPACE, session_name, api_url) as sim:
        await expect(page.get_by_test_id("qr-image")).to_be_visible()
        await sim_post(sim, "/_sim/passkey", {"status": "PASSKEY_REQUIRED"})
        # The operator, nudged by the webhook, re-reads WAHA and publishes its status (its own builder).
        passkey = operator_status(WahaStatus.PASSKEY_REQUIRED, endpoint=sim.url)
        await operator_writes_status(cluster, NAMESPACE, session_name, passkey.to_k8s())
        await expect(page.get_by_test_id("pair-confirm")).to_contain_text("WhatsApp asks for your passkey")
        await expect(page.get_by_test_id("qr-image")).to_have_count(0)

        async def listed() -> None:
            assert await listed_wa_status(page, api_url) == ["PASSKEY_REQUIRED"]

        await eventually(listed)
        await page.get_by_role("link", name="All numbers").click()
        card = page.get_by_test_id("session-card")
        await expect(card.get_by_test_id("session-status")).to_have_text("Scan QR")
        await expect(card.get_by_test_id("session-hint")).to_contain_text("WhatsApp asks for your passkey")
        await card.get_by_role("link", name="Pair Front desk: scan the QR code").click()
        await expect(page.get_by_test_id("pair-confirm")).to_be_visible()
        await phone_scans(cluster, NAMESPACE, session_name, sim)
        await expect(page.get_by_test_id("pair-success")).to_be_visible()
        await page.context.close()
    assert errors == []
