"""Is there a real Kubernetes cluster in KUBECONFIG? e2e tests run only when there is."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import httpx
import yaml


def _kubeconfig_path() -> Path | None:
    raw = os.environ.get("KUBECONFIG", "")
    for candidate in [*raw.split(os.pathsep), str(Path.home() / ".kube" / "config")]:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@lru_cache
def cluster_unreachable_reason() -> str | None:
    """None when a kube-apiserver answers /version; otherwise why e2e tests are skipped."""
    path = _kubeconfig_path()
    if path is None:
        return "no KUBECONFIG (and no ~/.kube/config)"
    import kr8s

    try:
        api = kr8s.api(kubeconfig=str(path))
        api.version()
    except (httpx.HTTPError, OSError, kr8s.ServerError, ValueError, KeyError, yaml.YAMLError) as error:
        return f"the cluster in {path} is not reachable: {error.__class__.__name__}: {error}"
    return None
