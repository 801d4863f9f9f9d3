"""The demo-only routes exist only when the API runs as `conectafy demo` (CONECTAFY_DEMO)."""

from __future__ import annotations

import httpx
import pytest

from conectafy.api.main import create_app
from conectafy.settings import ApiSettings


async def _get_demo(settings: ApiSettings) -> httpx.Response:
    app = create_app(settings, background=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        return await http.get("/api/demo")


@pytest.mark.parametrize(
    ("demo", "expected"),
    [
        (False, (200, {"demo": False, "real": [], "simulated": []})),
        (
            True,
            (
                200,
                {
                    "demo": True,
                    "real": ["operator", "API", "PostgreSQL", "dashboard"],
                    "simulated": ["Kubernetes API", "WAHA", "WhatsApp"],
                },
            ),
        ),
    ],
)
async def test_the_api_says_whether_it_is_a_demo(demo: bool, expected: tuple[int, object]) -> None:
    answer = await _get_demo(ApiSettings(demo=demo, web_dist_dir="/nonexistent"))
    assert (answer.status_code, answer.json()) == expected


async def test_the_simulated_phone_exists_only_in_demo_mode() -> None:
    app = create_app(ApiSettings(demo=False, web_dist_dir="/nonexistent"), background=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        answer = await http.post("/api/demo/sessions/00000000-0000-4000-8000-000000000000/phone/scan")
    assert answer.status_code == 404
