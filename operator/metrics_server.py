"""The operator's /metrics endpoint (aiohttp, like kopf's own liveness server) and its peer check.

Served on its own port (`conectafy operator --metrics http://0.0.0.0:9090/metrics`) so Prometheus
scrapes the standby replica too: `conectafy_operator_active_peer` is worked out at scrape time from
kopf's peering object, which is exactly what a standby replica can still read while kopf pauses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conectafy.kube import KubeClient, KubeError
from conectafy.logs import get_logger
from conectafy.operator import metrics
from conectafy.peering import CLUSTER_PLURAL, GROUP_VERSION, NAMESPACED_PLURAL, active_peer, peers_of

log = get_logger(__name__)


@dataclass(frozen=True)
class PeerCheck:
    """How this replica finds itself in the peering object: by the priority it chose at start-up."""

    standalone: bool
    name: str | None
    namespace: str | None  # None: the cluster-wide peering object
    priority: int


async def is_active(kube: KubeClient, check: PeerCheck, now: datetime) -> bool:
    """Standalone is always active; a peer is active when it is the peering object's single top peer."""
    if check.standalone or not check.name:
        return True
    plural = CLUSTER_PLURAL if check.namespace is None else NAMESPACED_PLURAL
    url = f"{plural}/{check.name}"
    peering = await kube.request("GET", GROUP_VERSION, url, namespace=check.namespace)
    top = active_peer(peers_of(peering), now)
    return top is not None and top.priority == check.priority


def metrics_app(kube: KubeClient, check: PeerCheck, path: str) -> web.Application:
    async def scrape(_: web.Request) -> web.Response:
        try:
            metrics.ACTIVE_PEER.set(1 if await is_active(kube, check, datetime.now(UTC)) else 0)
        except KubeError as error:  # keep the last value; the scrape itself must not fail
            log.warning("peering object unreadable", error=str(error))
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get(path, scrape)
    return app


async def serve(app: web.Application, endpoint: str) -> web.AppRunner:
    """Listen on `endpoint`'s host and port; the caller cleans the runner up at shutdown."""
    parts = urlsplit(endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, parts.hostname or "0.0.0.0", parts.port or 9090).start()
    return runner


def metrics_path(endpoint: str) -> str:
    return urlsplit(endpoint).path or "/metrics"
