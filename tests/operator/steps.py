"""Steps of the handler tests: the world around the operator (the phone, the kubelet, the user)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import kmock

from conectafy.settings import OperatorSettings
from conectafy.simulator.runner import RunningSimulator
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    EVENTS,
    NAMESPACE,
    PVCS,
    SECRETS,
    SERVICES,
    SESSIONS,
    apply_session,
    eventually,
    kube_request,
    live,
    session_body,
)

API_KEY = "test-api-key-0123456789"
NAME = "alice"
CHILD = f"waha-{NAME}"
UID = "0d6b1c2e-0000-4000-8000-000000000001"
CHILD_RESOURCES = (SECRETS, PVCS, DEPLOYMENTS, SERVICES)


def fast_settings(simulator: RunningSimulator, **overrides: Any) -> OperatorSettings:
    """Timers in tenths of seconds instead of tens; WAHA is the simulator on 127.0.0.1."""
    values: dict[str, Any] = {
        "drift_check_interval": 0.3,
        "status_poll_interval": 0.3,
        "waha_url_template": simulator.url,
        "failed_restart_backoff_base": 0.2,
        "failed_restart_backoff_max": 1.0,
        "logout_timeout": 2.0,
        "waha_request_timeout": 2.0,
        **overrides,
    }
    return OperatorSettings(**values)


async def seed_api_key(server: kmock.KubernetesEmulator) -> None:
    """The session's Secret made in advance with the simulator's key (a user bringing their own)."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": CHILD, "namespace": NAMESPACE},
        "type": "Opaque",
        "data": {"api-key": base64.b64encode(API_KEY.encode()).decode()},
    }
    await kube_request(server, "POST", f"/api/v1/namespaces/{NAMESPACE}/secrets", secret)


async def mark_available(server: kmock.KubernetesEmulator) -> None:
    """What the Deployment controller writes once the kubelet reports the WAHA pod Ready."""
    status = {
        "status": {
            "replicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "updatedReplicas": 1,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}],
        }
    }
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{CHILD}/status"
    await kube_request(server, "PATCH", path, status, "application/merge-patch+json")


async def sim_control(simulator: RunningSimulator, action: str) -> None:
    """Drive the simulated phone through its control API (scan the QR, fail the engine, …)."""
    async with httpx.AsyncClient(base_url=simulator.url, headers={"X-Api-Key": API_KEY}) as client:
        response = await client.post(f"/_sim/{action}")
        assert response.status_code < 300, response.text


def session_status(server: kmock.KubernetesEmulator) -> dict[str, Any]:
    return dict((live(server, SESSIONS, NAME) or {}).get("status") or {})


def phase_is(server: kmock.KubernetesEmulator, phase: str) -> dict[str, Any] | None:
    status = session_status(server)
    return status if status.get("phase") == phase else None


def event_reasons(server: kmock.KubernetesEmulator) -> list[str]:
    return [
        event["reason"] for event in (live(server, EVENTS, key[2]) for key in _event_keys(server)) if event
    ]


def _event_keys(server: kmock.KubernetesEmulator) -> list[Any]:
    return [key for key in server.objects if key[0].plural == "events"]


async def start_session(server: kmock.KubernetesEmulator, spec: dict[str, Any] | None = None) -> None:
    """A user's own key in the Secret, then the session; returns once all four children exist."""
    await seed_api_key(server)
    await apply_session(server, session_body(NAME, UID, spec))
    await eventually(lambda: all(live(server, resource, CHILD) for resource in CHILD_RESOURCES))
