"""The built dashboard is served at / with the single-page-app fallback; API paths stay JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from conectafy.api.main import create_app
from conectafy.settings import ApiSettings

INDEX = "<!doctype html><title>Conectafy</title>"


@pytest.fixture
async def web_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("outside the dashboard")
    settings = ApiSettings(database_url="postgresql://unused", data_dir=tmp_path, web_dist_dir=dist)
    transport = httpx.ASGITransport(app=create_app(settings, background=[]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize("path", ["/", "/sessions", "/sessions/abc/chats"])
async def test_dashboard_routes_get_index_html(web_client: httpx.AsyncClient, path: str) -> None:
    response = await web_client.get(path)
    assert (response.status_code, response.text) == (200, INDEX)


async def test_assets_are_served(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/assets/app.js")
    assert (response.status_code, response.text) == (200, "console.log('app')")


@pytest.mark.parametrize("path", ["/api/unknown", "/webhooks/waha/x/y/z"])
async def test_unknown_api_paths_stay_json_404(web_client: httpx.AsyncClient, path: str) -> None:
    response = await web_client.get(path)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def test_files_outside_the_dashboard_are_not_served(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/../secret.txt")
    assert "outside the dashboard" not in response.text


async def test_without_a_build_root_is_404(tmp_path: Path) -> None:
    settings = ApiSettings(
        database_url="postgresql://unused", data_dir=tmp_path, web_dist_dir=tmp_path / "none"
    )
    transport = httpx.ASGITransport(app=create_app(settings, background=[]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/")
    assert response.status_code == 404
