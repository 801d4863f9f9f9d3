"""A kubeconfig that acts as a ServiceAccount: the cluster of the current context, a TokenRequest token.

So an e2e test can run a process with exactly the permissions the chart's RBAC grants, the way it
runs in its pod (same API server, same identity), instead of with the tester's admin credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kr8s.asyncio
import yaml

from tests.support.apiserver import call, field
from tests.support.cluster import kubeconfig_path

#: Seconds a token lives; 600 is the shortest the API server issues.
TOKEN_SECONDS = 600
_FILE_KEYS = ("certificate-authority",)


async def request_token(api: kr8s.asyncio.Api, namespace: str, service_account: str) -> str:
    """A bound token of the ServiceAccount (TokenRequest), like the kubelet projects into a pod."""
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": TOKEN_SECONDS},
    }
    response = await call(
        api, "POST", "v1", f"serviceaccounts/{service_account}/token", namespace=namespace, body=body
    )
    assert response.status_code == 201, response.text
    token = field(response.json(), "status", "token")
    assert isinstance(token, str) and token, response.text
    return token


def _current_cluster(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The current context's cluster entry, with relative file paths made absolute."""
    contexts = {c["name"]: c.get("context") or {} for c in config.get("contexts") or []}
    clusters = {c["name"]: c.get("cluster") or {} for c in config.get("clusters") or []}
    cluster = dict(clusters[contexts[config["current-context"]]["cluster"]])
    for key in _FILE_KEYS:
        if key in cluster:
            cluster[key] = str((base / cluster[key]).resolve())
    return cluster


def write_kubeconfig(path: Path, token: str, namespace: str) -> Path:
    """A kubeconfig with the current cluster and only `token` as credentials."""
    source = kubeconfig_path()
    assert source is not None, "no kubeconfig"
    cluster = _current_cluster(yaml.safe_load(source.read_text()) or {}, source.parent)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "service-account",
        "clusters": [{"name": "cluster", "cluster": cluster}],
        "users": [{"name": "service-account", "user": {"token": token}}],
        "contexts": [
            {
                "name": "service-account",
                "context": {"cluster": "cluster", "user": "service-account", "namespace": namespace},
            }
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path
