"""Liveness, readiness and Prometheus metrics: unauthenticated, for kubelets and scrapers."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conectafy.api.db import ping
from conectafy.api.deps import ComponentCheck, DbDep, KubeReadyDep
from conectafy.api.metrics import READY, REGISTRY

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process serves requests. Never touches dependencies (a DB outage must not restart us)."""
    return {"status": "ok"}


async def _check_database(pool: asyncpg.Pool) -> ComponentCheck:
    try:
        await ping(pool)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return ComponentCheck("error", f"{type(error).__name__}: {error}")
    return ComponentCheck("ok")


@router.get("/ready")
async def ready(pool: DbDep, kubernetes: KubeReadyDep, response: Response) -> dict[str, Any]:
    """Readiness: 200 when the database answers and Kubernetes is reachable (or not configured), else 503."""
    checks = {"database": await _check_database(pool), "kubernetes": kubernetes}
    healthy = all(check.status != "error" for check in checks.values())
    READY.set(1 if healthy else 0)  # the kubelet probes /ready every few seconds: the alert reads this
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: {"status": c.status, "detail": c.detail} for name, c in checks.items()},
    }


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
