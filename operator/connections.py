"""kopf's own connections to the API server, bounded.

kopf's built-in HTTP session has no connection limit (aiohttp `limit=0`). When 500 sessions arrive at
once, kopf's per-object workers patch them (finalizers, progress, status) concurrently, each on a
connection of its own: 500 TLS handshakes against the API server, and 500 of asyncio's 256 KiB TLS read
buffers — the operator's RSS rose by 160 MiB within a second on a real API server (issue 9, py-spy
dumps at the jump). The login handler therefore hands kopf a session built like kopf's own, with a
bounded pool: requests beyond it wait for a free connection, as our KubeClient's do.

Each watch stream holds a connection for as long as it runs, so the bound is the watches plus
`KOPF_REQUESTS`. With a namespace pattern (`tenant-*`) the number of watched namespaces is not known
in advance, and kopf keeps its unbounded pool.
"""

from __future__ import annotations

import aiohttp
import kopf

#: Concurrent non-watch requests of kopf's (patches, Event posts), beside every watch stream.
KOPF_REQUESTS = 32
#: Watch streams per watched namespace: the sessions and their four child kinds, plus peering.
WATCHES_PER_NAMESPACE = 6
#: Cluster scanning watches namespaces and CustomResourceDefinitions.
SCANNING_WATCHES = 2


def pool_size(namespaces: list[str], *, clusterwide: bool, scanning: bool) -> int | None:
    """The connections kopf may open: every watch plus KOPF_REQUESTS; None = unbounded (a pattern)."""
    if clusterwide:
        return WATCHES_PER_NAMESPACE + SCANNING_WATCHES + KOPF_REQUESTS
    if scanning:
        return None  # a pattern: how many namespaces it matches, and so how many watches, varies
    return WATCHES_PER_NAMESPACE * len(namespaces) + KOPF_REQUESTS


def bounded_session(info: kopf.ConnectionInfo, limit: int) -> kopf.AiohttpSession:
    """`info` as kopf itself would connect with it, through at most `limit` connections."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
        proxy=info.proxy_url,
        trust_env=info.trust_env,
    )
    return kopf.AiohttpSession(
        aiohttp_session=session,
        server=info.server,
        default_namespace=info.default_namespace,
        priority=info.priority,
        expiration=info.expiration,
    )
