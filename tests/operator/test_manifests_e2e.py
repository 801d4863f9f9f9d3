"""The builders' objects on a real kube-apiserver: accepted as built, and what the server stores
(defaults added, quantities normalised) is never mistaken for drift.

Objects that would start pods are sent with dryRun=All (full admission and defaulting, nothing
persisted) or paused (replicas 0), so this needs no kubelet and no WAHA image.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import kr8s.asyncio
import pytest

from conectafy.operator.manifests import (
    SessionRef,
    build_deployment,
    build_pvc,
    build_secret,
    build_service,
    generate_secret_data,
    is_drifted,
)
from conectafy.session import API_VERSION, GROUP, PLURAL, VERSION, WhatsAppSessionSpec
from conectafy.settings import OperatorSettings
from tests.support.apiserver import MERGE_PATCH, apply_crd, call, temporary_namespace

pytestmark = pytest.mark.e2e

SETTINGS = OperatorSettings(waha_version="2026.8.2", waha_port=3000)
SPECS = {
    "defaults": {},
    "everything": {
        "engine": "WEBJS",
        "owner": "acme-admin",
        "storage": {"size": "1024Mi", "storageClassName": "standard", "retainOnDelete": True},
        "resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": 2, "memory": "2Gi"}},
        "scheduling": {
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "wa", "effect": "NoSchedule"}],
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 1,
                            "preference": {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                                ]
                            },
                        }
                    ]
                }
            },
        },
    },
}
KINDS: dict[str, tuple[str, str, Callable[[SessionRef], dict[str, Any]]]] = {
    "secret": ("v1", "secrets", lambda ref: build_secret(ref, generate_secret_data())),
    "pvc": ("v1", "persistentvolumeclaims", lambda ref: build_pvc(ref, SETTINGS)),
    "deployment": ("apps/v1", "deployments", lambda ref: build_deployment(ref, SETTINGS)),
    "service": ("v1", "services", lambda ref: build_service(ref, SETTINGS)),
}


@pytest.fixture
async def api() -> kr8s.asyncio.Api:
    client = await kr8s.asyncio.api()
    await apply_crd(client)
    return client


@pytest.fixture
async def namespace(api: kr8s.asyncio.Api) -> AsyncIterator[str]:
    async with temporary_namespace(api, "conectafy-e2e-manifests") as name:
        yield name


async def session_ref(
    api: kr8s.asyncio.Api, namespace: str, spec: dict[str, Any], **fields: Any
) -> SessionRef:
    """A real WhatsAppSession, so owner references point at an object that exists."""
    body = {
        "apiVersion": API_VERSION,
        "kind": "WhatsAppSession",
        "metadata": {"name": "support"},
        "spec": spec,
    }
    created = (await call(api, "POST", f"{GROUP}/{VERSION}", PLURAL, namespace=namespace, body=body)).json()
    meta = created["metadata"]
    return SessionRef(
        meta["name"],
        namespace,
        meta["uid"],
        meta["generation"],
        WhatsAppSessionSpec.model_validate(created["spec"]),
        **fields,
    )


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
async def test_server_accepts_the_object_and_its_stored_form_is_not_drift(
    api: kr8s.asyncio.Api,
    namespace: str,
    kind: tuple[str, str, Callable[[SessionRef], dict[str, Any]]],
    spec: dict[str, Any],
) -> None:
    version, plural, build = kind
    desired = build(await session_ref(api, namespace, spec, restarted_at="2026-11-28T10:00:00Z"))
    response = await call(
        api, "POST", version, plural, namespace=namespace, body=desired, params={"dryRun": "All"}
    )
    assert response.status_code in (200, 201), response.text
    assert is_drifted(desired, response.json()) is False


async def test_hand_edit_is_drift_and_one_merge_patch_heals_it(api: kr8s.asyncio.Api, namespace: str) -> None:
    ref = await session_ref(api, namespace, {"paused": True})  # replicas 0: no pod is ever started
    desired = build_deployment(ref, SETTINGS)
    created = await call(api, "POST", "apps/v1", "deployments", namespace=namespace, body=desired)
    assert created.status_code == 201, created.text
    url = f"deployments/{desired['metadata']['name']}"
    by_hand = {"spec": {"replicas": 2, "template": {"spec": {"terminationGracePeriodSeconds": 5}}}}
    edited = await call(
        api, "PATCH", "apps/v1", url, namespace=namespace, content_type=MERGE_PATCH, body=by_hand
    )
    healed = await call(
        api, "PATCH", "apps/v1", url, namespace=namespace, body=desired, content_type=MERGE_PATCH
    )
    assert (is_drifted(desired, edited.json()), is_drifted(desired, healed.json())) == (True, False)
