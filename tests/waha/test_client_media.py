# ruff: noqa: F811 - the fixtures imported below are redefined as test parameters, as pytest wants
"""`WahaClient.download_media`: only WAHA's media URLs, only their path, a size cap, typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from conectafy.simulator import RunningSimulator
from conectafy.waha import MediaContent, WahaClient, WahaMediaTooLarge, WahaNotFound
from tests.waha.simulated_media import SIM_KEY, inbound_media, media_bytes, sim  # noqa: F401 - fixtures


async def test_download_returns_the_file_waha_holds(sim: RunningSimulator) -> None:
    payload = await inbound_media(sim, "document", filename="invoice.pdf")
    async with WahaClient(sim.url, api_key=SIM_KEY) as waha:
        media = await waha.download_media(payload["media"]["url"], max_bytes=1 << 20)
    assert media == MediaContent(content=media_bytes(sim, payload), content_type="application/pdf")


async def test_only_the_path_is_used_against_the_clients_own_waha(sim: RunningSimulator) -> None:
    """A media URL naming another host (WAHA_BASE_URL, or a forged one) never makes us call that host."""
    payload = await inbound_media(sim, "image")
    file_name = payload["media"]["url"].rsplit("/", 1)[1]
    async with WahaClient(sim.url, api_key=SIM_KEY) as waha:
        media = await waha.download_media(
            f"http://203.0.113.9:1/api/files/default/{file_name}", max_bytes=1 << 20
        )
    assert media.content == media_bytes(sim, payload)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3000/api/server/environment",
        "http://127.0.0.1:3000/api/sessions/default",
        "http://127.0.0.1:3000/api/files/default/a/b.jpeg",
        "http://127.0.0.1:3000/api/files/default/..",
        "http://127.0.0.1:3000/api/files/default/%2e%2e%2fx",
        "http://127.0.0.1:3000/api/files/bad%20name/x.jpeg",
        "http://127.0.0.1:3000/api/files/default/",
        "not a url",
    ],
)
async def test_anything_but_a_waha_media_url_is_refused_without_a_request(url: str) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=b"secret")

    async with WahaClient("http://waha", api_key=SIM_KEY, transport=httpx.MockTransport(record)) as waha:
        with pytest.raises(ValueError, match="not a WAHA media URL"):
            await waha.download_media(url, max_bytes=1 << 20)
    assert requests == []


async def test_a_file_over_the_cap_is_refused(sim: RunningSimulator) -> None:
    payload = await inbound_media(sim, "image")
    size = len(media_bytes(sim, payload))
    async with WahaClient(sim.url, api_key=SIM_KEY) as waha:
        with pytest.raises(WahaMediaTooLarge) as raised:
            await waha.download_media(payload["media"]["url"], max_bytes=size - 1)
    assert (raised.value.status_code, str(size) in raised.value.message) == (200, True)


async def test_a_streamed_file_over_the_cap_is_refused_without_content_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(2):
            yield b"x" * 600

    def chunked(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks(), headers={"Content-Type": "image/png"})

    async with WahaClient("http://waha", api_key=SIM_KEY, transport=httpx.MockTransport(chunked)) as waha:
        with pytest.raises(WahaMediaTooLarge):
            await waha.download_media("http://waha/api/files/default/x.png", max_bytes=1000)


async def test_a_file_waha_no_longer_has_is_not_found(sim: RunningSimulator) -> None:
    async with WahaClient(sim.url, api_key=SIM_KEY) as waha:
        with pytest.raises(WahaNotFound) as raised:
            await waha.download_media(
                f"{sim.url}/api/files/default/3EB0000000000000000000.jpeg", max_bytes=1024
            )
    assert raised.value.status_code == 404
