"""/health, /ready and /metrics on the real app and database."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from conectafy.api.db import create_pool
from conectafy.api.deps import ComponentCheck, check_kubernetes, get_pool


async def test_health_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def kubernetes_ok() -> ComponentCheck:
    return ComponentCheck("ok")


async def test_ready_reports_every_check_when_all_are_ok(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.dependency_overrides[check_kubernetes] = kubernetes_ok
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "detail": None},
            "kubernetes": {"status": "ok", "detail": None},
        },
    }


async def test_ready_is_200_when_kubernetes_is_not_configured(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def not_configured() -> ComponentCheck:
        return ComponentCheck("not configured")

    app.dependency_overrides[check_kubernetes] = not_configured
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["kubernetes"] == {"status": "not configured", "detail": None}


async def test_ready_is_503_when_kubernetes_check_fails(app: FastAPI, client: httpx.AsyncClient) -> None:
    async def kubernetes_down() -> ComponentCheck:
        return ComponentCheck("error", "connection refused")

    app.dependency_overrides[check_kubernetes] = kubernetes_down
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["kubernetes"] == {"status": "error", "detail": "connection refused"}


async def test_ready_is_503_when_database_is_gone(
    app: FastAPI, client: httpx.AsyncClient, pg_dsn: str
) -> None:
    closed = await create_pool(pg_dsn, min_size=0, max_size=1)
    await closed.close()
    app.dependency_overrides[check_kubernetes] = kubernetes_ok
    app.dependency_overrides[get_pool] = lambda: closed
    response = await client.get("/ready")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["status"] == "error"
    assert database["detail"].startswith("InterfaceError")


async def test_metrics_exposes_request_counters(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'conectafy_api_http_requests_total{method="GET",route="/health",status="200"}' in response.text


async def test_openapi_document_lists_the_auth_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    paths = response.json()["paths"]
    assert response.status_code == 200
    expected = {f"/api/auth/{name}" for name in ("register", "login", "refresh", "logout", "me", "config")}
    assert expected <= set(paths)


async def test_readiness_is_exported_for_alerts(app: FastAPI, client: httpx.AsyncClient) -> None:
    """APINotReady reads conectafy_api_ready: the last probe's verdict, 1 then 0."""

    async def kubernetes_down() -> ComponentCheck:
        return ComponentCheck("error", "connection refused")

    app.dependency_overrides[check_kubernetes] = kubernetes_ok
    await client.get("/ready")
    ready = (await client.get("/metrics")).text
    app.dependency_overrides[check_kubernetes] = kubernetes_down
    await client.get("/ready")
    not_ready = (await client.get("/metrics")).text
    assert ("conectafy_api_ready 1.0" in ready, "conectafy_api_ready 0.0" in not_ready) == (True, True)


async def test_pool_gauges_are_read_at_scrape_time(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    assert "conectafy_api_db_pool_connections_in_use " in text
    assert "conectafy_api_db_pool_waiting_requests 0.0" in text


async def test_openapi_document_describes_the_webhook_endpoint(client: httpx.AsyncClient) -> None:
    """Served above FastAPI's routes, yet documented: path, signature headers and the answer's shape."""
    document = (await client.get("/openapi.json")).json()
    post = document["paths"]["/webhooks/waha/{namespace}/{session}"]["post"]
    assert [parameter["name"] for parameter in post["parameters"]] == [
        "namespace",
        "session",
        "X-Webhook-Hmac",
        "X-Webhook-Hmac-Algorithm",
    ]
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookAck"
    }
    assert set(document["components"]["schemas"]["WebhookAck"]["properties"]) == {"outcome", "event"}
