"""Is there a real Kubernetes cluster in KUBECONFIG? e2e tests run only when there is."""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

#: Seconds a TCP connect to the API server may take before the cluster counts as unreachable.
CONNECT_TIMEOUT = 3.0


def kubeconfig_path() -> Path | None:
    raw = os.environ.get("KUBECONFIG", "")
    for candidate in [*raw.split(os.pathsep), str(Path.home() / ".kube" / "config")]:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _current_server(path: Path) -> str | None:
    """The API server URL of the kubeconfig's current context, or None when it cannot be read from
    this file alone (merged kubeconfigs, a proxy) — then only kr8s's own request decides."""
    config = yaml.safe_load(path.read_text()) or {}
    contexts = {c["name"]: c.get("context") or {} for c in config.get("contexts") or []}
    clusters = {c["name"]: c.get("cluster") or {} for c in config.get("clusters") or []}
    cluster = clusters.get(contexts.get(config.get("current-context", ""), {}).get("cluster", ""), {})
    if "proxy-url" in cluster or not cluster.get("server"):
        return None
    return str(cluster["server"])


def _tcp_reachable(server: str | None) -> None:
    """Raise OSError when nothing accepts a connection: kr8s's client has no timeout, so a server
    behind a black-holed address would otherwise hang the collection of the whole suite."""
    if server is None:
        return
    parts = urlsplit(server)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname or "", port), timeout=CONNECT_TIMEOUT):
        pass


@lru_cache
def cluster_unreachable_reason() -> str | None:
    """None when a kube-apiserver answers /version; otherwise why e2e tests are skipped."""
    path = kubeconfig_path()
    if path is None:
        return "no KUBECONFIG (and no ~/.kube/config)"
    import kr8s

    try:
        _tcp_reachable(_current_server(path))
        api = kr8s.api(kubeconfig=str(path))
        api.version()
    except (
        httpx.HTTPError,
        OSError,
        kr8s.ServerError,
        kr8s.APITimeoutError,
        ValueError,
        KeyError,
        TypeError,
        yaml.YAMLError,
    ) as error:
        return f"the cluster in {path} is not reachable: {error.__class__.__name__}: {error}"
    return None
