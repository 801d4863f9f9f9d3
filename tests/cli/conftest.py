"""A kube context that points at kmock (the Kubernetes API emulator), and a way to run CLI commands."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from typer.testing import CliRunner, Result

from conectafy.cli import app
from conectafy.session import GROUP, KIND, PLURAL, VERSION

NAMESPACE = "team"
SESSIONS = f"{GROUP}/{VERSION}/{PLURAL}"


@pytest.fixture
def kube(
    kmock: kmock.KubernetesEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> kmock.KubernetesEmulator:
    """kmock with the WhatsAppSession resource registered, as the current context of a fresh kubeconfig."""
    kmock.resources[SESSIONS] = kmock.ResourceInfo(kind=KIND, namespaced=True, subresources={"status"})
    for plural in ("pods", "services", "secrets", "persistentvolumeclaims"):
        kmock.resources[f"v1/{plural}"] = kmock.ResourceInfo(namespaced=True)
    kmock.resources["apps/v1/deployments"] = kmock.ResourceInfo(kind="Deployment", namespaced=True)
    kmock["get /version/"] << {"major": "1", "minor": "33", "gitVersion": "v1.33.0"}  # kr8s asks with a slash
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "kmock",
        "clusters": [{"name": "kmock", "cluster": {"server": str(kmock.url).rstrip("/")}}],
        "users": [{"name": "kmock", "user": {"token": "kmock"}}],
        "contexts": [
            {"name": "kmock", "context": {"cluster": "kmock", "user": "kmock", "namespace": NAMESPACE}}
        ],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("KUBECONFIG", str(path))
    return kmock


def make_session(
    name: str,
    *,
    uid: str = "",
    status: dict[str, Any] | None = None,
    created: str = "2026-11-28T10:00:00Z",
    paused: bool = False,
) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid or f"uid-{name}",
            "creationTimestamp": created,
        },
        "spec": {"engine": "GOWS", "paused": paused},
        "status": status or {"phase": "Pending"},
    }


def make_api_key_secret(session: str, api_key: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"waha-{session}",
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": "waha", "conectafy.io/session": session},
        },
        "data": {"api-key": base64.b64encode(api_key.encode()).decode()},
    }


CliRun = Callable[..., Any]


@pytest.fixture
def cli() -> CliRun:
    """Run `conectafy ARGS…` in a worker thread, so kmock keeps serving on the test's event loop."""

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args))

    return invoke
