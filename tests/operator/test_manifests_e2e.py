"""The builders' objects on a real kube-apiserver, written the way the operator writes them (server-side
apply as `conectafy-operator`): accepted as built, an unchanged apply changes nothing, a field we stop
sending disappears, a hand edit is undone, other owners' references survive.

Objects that would start pods are sent with dryRun=All (full admission and defaulting, nothing
persisted) or paused (replicas 0), so this needs no kubelet and no WAHA image.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import kr8s.asyncio
import pytest

from conectafy.kube import KubeClient
from conectafy.kube.children import FIELD_MANAGER, apply_child
from conectafy.kube.client import DEPLOYMENTS
from conectafy.operator.manifests import (
    SessionRef,
    build_deployment,
    build_pvc,
    build_secret,
    build_service,
    generate_secret_data,
)
from conectafy.session import API_VERSION, GROUP, PLURAL, VERSION, WhatsAppSessionSpec
from conectafy.settings import OperatorSettings
from tests.support.apiserver import MERGE_PATCH, apply_crd, call, temporary_namespace

APPLY_PATCH = "application/apply-patch+yaml"

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


@pytest.fixture
def client(api: kr8s.asyncio.Api) -> KubeClient:
    async def same_api() -> kr8s.asyncio.Api:
        return api

    return KubeClient(same_api)


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
async def test_server_accepts_the_applied_object(
    api: kr8s.asyncio.Api,
    namespace: str,
    kind: tuple[str, str, Callable[[SessionRef], dict[str, Any]]],
    spec: dict[str, Any],
) -> None:
    version, plural, build = kind
    desired = build(await session_ref(api, namespace, spec, restarted_at="2026-11-28T10:00:00Z"))
    params = {"dryRun": "All", "fieldManager": FIELD_MANAGER, "force": "true"}
    url = f"{plural}/{desired['metadata']['name']}"
    response = await call(
        api, "PATCH", version, url, namespace=namespace, body=desired, params=params, content_type=APPLY_PATCH
    )
    assert response.status_code in (200, 201), response.text


def _pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"])


async def test_unchanged_apply_changes_nothing(
    api: kr8s.asyncio.Api, client: KubeClient, namespace: str
) -> None:
    ref = await session_ref(api, namespace, {"paused": True})  # replicas 0: no pod is ever started
    first = await apply_child(client, DEPLOYMENTS, build_deployment(ref, SETTINGS))
    second = await apply_child(client, DEPLOYMENTS, build_deployment(ref, SETTINGS))
    ours = [
        [entry["time"] for entry in answer["metadata"]["managedFields"] if entry["manager"] == FIELD_MANAGER]
        for answer in (first, second)
    ]
    # The Deployment controller may write status in between (a new resourceVersion); our apply did not.
    assert (second["metadata"]["generation"], second["spec"], ours[1]) == (
        first["metadata"]["generation"],
        first["spec"],
        ours[0],
    )


async def test_a_field_removed_from_the_spec_leaves_the_deployment(
    api: kr8s.asyncio.Api, client: KubeClient, namespace: str
) -> None:
    pinned = {"paused": True, "scheduling": {"nodeSelector": {"kubernetes.io/hostname": "node-a"}}}
    ref = await session_ref(api, namespace, pinned)
    applied = await apply_child(client, DEPLOYMENTS, build_deployment(ref, SETTINGS))
    unpinned = SessionRef(ref.name, namespace, ref.uid, 2, WhatsAppSessionSpec(paused=True))
    after = await apply_child(client, DEPLOYMENTS, build_deployment(unpinned, SETTINGS))
    assert (_pod_spec(applied).get("nodeSelector"), _pod_spec(after).get("nodeSelector")) == (
        {"kubernetes.io/hostname": "node-a"},
        None,
    )


async def test_apply_undoes_a_hand_edit_and_keeps_other_owners(
    api: kr8s.asyncio.Api, client: KubeClient, namespace: str
) -> None:
    ref = await session_ref(api, namespace, {"paused": True})
    desired = build_deployment(ref, SETTINGS)
    await apply_child(client, DEPLOYMENTS, desired)
    # A real owner: the garbage collector strips references to owners that do not exist.
    keeper = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keeper"}}
    made = await call(api, "POST", "v1", "configmaps", namespace=namespace, body=keeper)
    assert made.status_code == 201, made.text
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "keeper", "uid": made.json()["metadata"]["uid"]}
    by_hand = {
        "metadata": {"ownerReferences": [*desired["metadata"]["ownerReferences"], other]},
        "spec": {"template": {"spec": {"terminationGracePeriodSeconds": 5}}},
    }
    url = f"deployments/{desired['metadata']['name']}"
    edited = await call(
        api, "PATCH", "apps/v1", url, namespace=namespace, content_type=MERGE_PATCH, body=by_hand
    )
    assert edited.status_code == 200, edited.text
    healed = await apply_child(client, DEPLOYMENTS, desired)
    owners = sorted(owner["name"] for owner in healed["metadata"]["ownerReferences"])
    grace = _pod_spec(healed)["terminationGracePeriodSeconds"]
    assert (owners, grace) == (["keeper", ref.name], SETTINGS.termination_grace_period_seconds)
