"""The dashboard of `conectafy demo --seed` in Debian's Chromium: the demo banner on every page, the seeded
user's numbers and conversations, and the simulated phone sending a message that arrives live. The
demo is the whole backend here (operator, API, PostgreSQL, kmock, the WAHA simulators), started as a
user starts it. Screenshot: docs/screenshots/demo.png.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from conectafy.demo.seed import EMAIL, PASSWORD
from tests.demo.running import RunningDemo, start_demo, stop_demo
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "demo.png"
expect.set_options(timeout=20_000)


@pytest.fixture
def seeded_demo(web_dist: Path) -> Iterator[RunningDemo]:
    """`conectafy demo --seed` serving the built dashboard (under /tmp: PostgreSQL's user must reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="conectafy-demo-web-"))
    try:
        running = start_demo(folder, "--seed")
        yield running
        stop_demo(running)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("browser: /usr/bin/chromium is not installed")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def test_the_seeded_demo_shows_its_banner_and_drives_the_phone(
    seeded_demo: RunningDemo, browser: Browser
) -> None:
    context = await browser.new_context(base_url=seeded_demo.api_url, viewport={"width": 1360, "height": 860})
    page = await context.new_page()
    await page.goto("/login")
    banner = page.get_by_test_id("demo-banner")
    await expect(banner).to_contain_text("Kubernetes API, WAHA, WhatsApp are simulated")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("Open chats of Acme Support").click()

    phone = page.get_by_test_id("phone-panel")
    await expect(phone).to_contain_text("Simulated phone")
    await expect(page.get_by_test_id("contact")).to_have_count(2)  # Maria and João wrote
    await page.get_by_test_id("contact").filter(has_text="Maria Silva").click()
    await phone.get_by_label("From contact").fill("15550002222")
    await phone.get_by_role("textbox", name="Text").fill("Thanks! It arrived.")
    await phone.get_by_role("button", name="Send to this number").click()
    await expect(page.get_by_test_id("message").filter(has_text="Thanks! It arrived.")).to_be_visible()
    await expect(banner).to_be_visible()
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOT), animations="disabled")
