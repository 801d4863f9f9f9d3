"""The rendered chart on the real cluster in KUBECONFIG: accepted, least-privilege, and (if it can) ready.

Everything goes into a fresh namespace that is deleted afterwards; the CRDs are cluster-wide and kept (as
the chart keeps them on uninstall).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import kr8s
import kr8s.asyncio
import pytest

from tests.support.apiserver import field, wait_crd_served
from tests.support.helm import chart_crds, render_manifests

pytestmark = pytest.mark.e2e

FIELD_MANAGER = "conectafy-e2e"
APPLY_PATCH = {"Content-Type": "application/apply-patch+yaml"}
#: kind → (api version, plural, namespaced) for every kind the chart renders.
KINDS: dict[str, tuple[str, str, bool]] = {
    "CustomResourceDefinition": ("apiextensions.k8s.io/v1", "customresourcedefinitions", False),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Role": ("rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings", True),
    "ServiceAccount": ("v1", "serviceaccounts", True),
    "Secret": ("v1", "secrets", True),
    "Service": ("v1", "services", True),
    "Deployment": ("apps/v1", "deployments", True),
    "StatefulSet": ("apps/v1", "statefulsets", True),
    "NetworkPolicy": ("networking.k8s.io/v1", "networkpolicies", True),
    "PodDisruptionBudget": ("policy/v1", "poddisruptionbudgets", True),
    "Ingress": ("networking.k8s.io/v1", "ingresses", True),
    "KopfPeering": ("kopf.dev/v1", "kopfpeerings", True),
}
#: CONECTAFY_E2E_IMAGE=repo:tag runs an image the cluster has (e.g. one `kind load docker-image` put there).
E2E_IMAGE = os.environ.get("CONECTAFY_E2E_IMAGE", "")
IMAGE_PULL_FAILURES = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName"}
#: Seconds for the release to become ready (images pulled, database initialised); below pytest's timeout.
READY_WITHIN = 240.0
#: Seconds a pod may stay unplaced (unschedulable, or untouched: no scheduler) before the test skips.
SCHEDULER_GRACE = 60.0


async def _apply(api: kr8s.asyncio.Api, manifest: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
    """Server-side apply (create or update) one object; dry-run asks the server to validate only."""
    version, plural, namespaced = KINDS[manifest["kind"]]
    params = {"fieldManager": FIELD_MANAGER, "force": "true", **({"dryRun": "All"} if dry_run else {})}
    namespace = manifest["metadata"].get("namespace") if namespaced else None
    async with api.call_api(
        "PATCH",
        version=version,
        namespace=namespace,
        url=f"{plural}/{manifest['metadata']['name']}",
        params=params,
        headers=APPLY_PATCH,
        content=json.dumps(manifest),
    ) as response:
        return response.json()  # type: ignore[no-any-return]


async def _create_namespace(api: kr8s.asyncio.Api, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    async with api.call_api("POST", version="v1", url="namespaces", content=json.dumps(body)):
        pass


async def _delete_namespace(api: kr8s.asyncio.Api, name: str) -> None:
    async with api.call_api("DELETE", version="v1", url=f"namespaces/{name}", raise_for_status=False):
        pass


@pytest.fixture
async def api() -> kr8s.asyncio.Api:
    return await kr8s.asyncio.api()


@pytest.fixture
async def namespaces(api: kr8s.asyncio.Api) -> AsyncIterator[tuple[str, str]]:
    """A fresh namespace for the release and a neighbour it must not reach; both deleted afterwards."""
    suffix = secrets.token_hex(3)
    names = (f"conectafy-e2e-{suffix}", f"conectafy-e2e-other-{suffix}")
    for name in names:
        await _create_namespace(api, name)
    try:
        yield names
    finally:
        for name in names:
            await _delete_namespace(api, name)


def _values() -> dict[str, Any]:
    if not E2E_IMAGE:
        return {}
    repository, _, tag = E2E_IMAGE.rpartition(":")
    return {"image": {"repository": repository, "tag": tag}}


async def _install(api: kr8s.asyncio.Api, namespace: str) -> list[dict[str, Any]]:
    """CRDs first (crds/ and templates; wait until served), then a dry-run of everything, then the apply."""
    manifests = render_manifests(_values(), namespace=namespace)
    crds = chart_crds() + [m for m in manifests if m["kind"] == "CustomResourceDefinition"]
    for crd in crds:
        await _apply(api, crd, dry_run=False)
        await wait_crd_served(api, crd, seconds=30)
    rest = [m for m in manifests if m["kind"] != "CustomResourceDefinition"]
    for manifest in rest:
        await _apply(api, manifest, dry_run=True)
    return [await _apply(api, manifest, dry_run=False) for manifest in rest]


async def test_every_rendered_object_is_accepted(api: kr8s.asyncio.Api, namespaces: tuple[str, str]) -> None:
    namespace, _ = namespaces
    applied = await _install(api, namespace)
    expected = sorted(
        (m["kind"], m["metadata"]["name"])
        for m in render_manifests(_values(), namespace=namespace)
        if m["kind"] != "CustomResourceDefinition"
    )
    assert sorted((m["kind"], m["metadata"]["name"]) for m in applied) == expected
    assert {m["metadata"].get("namespace") for m in applied} == {namespace}


async def _can(api: kr8s.asyncio.Api, user: str, attributes: dict[str, str]) -> bool:
    """`kubectl auth can-i --as=USER …` as a SubjectAccessReview."""
    namespace = user.split(":")[2]
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "groups": [
                "system:serviceaccounts",
                f"system:serviceaccounts:{namespace}",
                "system:authenticated",
            ],
            "resourceAttributes": attributes,
        },
    }
    async with api.call_api(
        "POST", version="authorization.k8s.io/v1", url="subjectaccessreviews", content=json.dumps(review)
    ) as response:
        return bool(response.json()["status"].get("allowed", False))


# (service account, verb, group, resource, subresource, where: "release" | "other" | "cluster", allowed)
ACCESS = [
    ("operator", "watch", "conectafy.io", "whatsappsessions", "", "release", True),
    ("operator", "patch", "conectafy.io", "whatsappsessions", "status", "release", True),
    ("operator", "update", "conectafy.io", "whatsappsessions", "finalizers", "release", True),
    ("operator", "create", "apps", "deployments", "", "release", True),
    ("operator", "patch", "apps", "deployments", "", "release", True),
    ("operator", "delete", "", "persistentvolumeclaims", "", "release", True),
    ("operator", "create", "", "secrets", "", "release", True),
    ("operator", "create", "", "events", "", "release", True),
    ("operator", "list", "", "pods", "", "release", True),
    ("operator", "patch", "kopf.dev", "kopfpeerings", "", "release", True),
    ("operator", "create", "conectafy.io", "whatsappsessions", "", "release", False),
    ("operator", "list", "", "secrets", "", "release", True),  # the session Secrets' watch-fed cache
    ("operator", "delete", "", "pods", "", "release", False),
    ("operator", "get", "", "secrets", "", "other", False),
    ("operator", "list", "conectafy.io", "whatsappsessions", "", "other", False),
    ("operator", "delete", "", "nodes", "", "cluster", False),
    ("operator", "create", "rbac.authorization.k8s.io", "rolebindings", "", "release", False),
    ("api", "create", "conectafy.io", "whatsappsessions", "", "release", True),
    ("api", "patch", "conectafy.io", "whatsappsessions", "", "release", True),
    ("api", "delete", "conectafy.io", "whatsappsessions", "", "release", True),
    ("api", "watch", "", "secrets", "", "release", False),
    ("api", "list", "", "secrets", "", "release", False),
    ("api", "patch", "conectafy.io", "whatsappsessions", "status", "release", False),
    ("api", "create", "", "secrets", "", "release", False),
    ("api", "create", "apps", "deployments", "", "release", False),
    ("api", "get", "", "services", "proxy", "release", False),
    ("api", "get", "", "secrets", "", "other", False),
    ("api", "delete", "", "nodes", "", "cluster", False),
]


@pytest.mark.parametrize(
    "secret", ["conectafy-postgresql", "conectafy-api", "conectafy-s3", "waha-x-session"]
)
async def test_the_api_cannot_read_the_database_jwt_s3_or_session_secrets(
    api: kr8s.asyncio.Api, namespaces: tuple[str, str], secret: str
) -> None:
    """`kubectl auth can-i get secret/NAME --as=…:conectafy-api` is "no" for every Secret by name."""
    namespace, other = namespaces
    nobody = f"system:serviceaccount:{other}:nobody"
    if await _can(api, nobody, {"verb": "delete", "group": "", "resource": "nodes", "namespace": ""}):
        pytest.skip("the API server allows everything (authorization mode AlwaysAllow): no RBAC to prove")
    await _install(api, namespace)
    user = f"system:serviceaccount:{namespace}:conectafy-api"
    attributes = {"verb": "get", "group": "", "resource": "secrets", "namespace": namespace, "name": secret}
    assert await _can(api, user, attributes) is False


async def test_service_accounts_can_do_exactly_their_jobs(
    api: kr8s.asyncio.Api, namespaces: tuple[str, str]
) -> None:
    namespace, other = namespaces
    nobody = f"system:serviceaccount:{other}:nobody"  # bound to nothing: every answer must be no
    if await _can(api, nobody, {"verb": "delete", "group": "", "resource": "nodes", "namespace": ""}):
        pytest.skip("the API server allows everything (authorization mode AlwaysAllow): no RBAC to prove")
    await _install(api, namespace)
    where = {"release": namespace, "other": other, "cluster": ""}
    answers = []
    for account, verb, group, resource, subresource, place, _ in ACCESS:
        attributes = {
            "verb": verb,
            "group": group,
            "resource": resource,
            "subresource": subresource,
            "namespace": where[place],
        }
        user = f"system:serviceaccount:{namespace}:conectafy-{account}"
        answers.append(
            (account, verb, group, resource, subresource, place, await _can(api, user, attributes))
        )
    assert answers == ACCESS


async def _pods(api: kr8s.asyncio.Api, namespace: str) -> list[dict[str, Any]]:
    async with api.call_api("GET", version="v1", namespace=namespace, url="pods") as response:
        pods: list[dict[str, Any]] = response.json()["items"]
    return pods


async def _pull_failures(api: kr8s.asyncio.Api, namespace: str) -> list[str]:
    pods = await _pods(api, namespace)
    return [
        f"{pod['metadata']['name']}: {status['image']} ({status['state']['waiting']['reason']})"
        for pod in pods
        for status in (field(pod, "status", "containerStatuses") or [])
        + (field(pod, "status", "initContainerStatuses") or [])
        if field(status, "state", "waiting", "reason") in IMAGE_PULL_FAILURES
    ]


async def _unready(api: kr8s.asyncio.Api, namespace: str) -> list[str]:
    waiting = []
    for plural in ("deployments", "statefulsets"):
        async with api.call_api("GET", version="apps/v1", namespace=namespace, url=plural) as response:
            for item in response.json()["items"]:
                if (field(item, "status", "readyReplicas") or 0) < (field(item, "spec", "replicas") or 0):
                    waiting.append(f"{plural}/{item['metadata']['name']}")
    return waiting


async def _pod_states(api: kr8s.asyncio.Api, namespace: str) -> list[str]:
    """Each pod's phase and its containers' waiting reasons: what a failure message should show."""
    return [
        f"{pod['metadata']['name']}: {field(pod, 'status', 'phase')} "
        + ",".join(
            field(status, "state", "waiting", "reason") or ""
            for status in field(pod, "status", "containerStatuses") or []
            if field(status, "state", "waiting") is not None
        )
        for pod in await _pods(api, namespace)
    ]


def _can_run_pods(node: dict[str, Any]) -> bool:
    """A Ready, schedulable node without NoSchedule/NoExecute taints (fake e2e nodes never count)."""
    if field(node, "metadata", "labels", "conectafy.io/e2e") or field(node, "spec", "unschedulable"):
        return False
    blocking = ("NoSchedule", "NoExecute")
    taints = [t for t in field(node, "spec", "taints") or [] if t.get("effect") in blocking]
    conditions = field(node, "status", "conditions") or []
    return not taints and any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


async def _unplaced(api: kr8s.asyncio.Api, namespace: str) -> list[str]:
    """Pods the scheduler cannot place (Unschedulable), or that no scheduler looked at (no condition at
    all: a control plane without one). Either may be brief (a volume binding), so it counts only when
    it lasts past SCHEDULER_GRACE."""
    return [
        f"{pod['metadata']['name']}: "
        + "; ".join(c.get("message", "") for c in conditions if c.get("reason") == "Unschedulable")
        for pod in await _pods(api, namespace)
        if not field(pod, "spec", "nodeName")
        for conditions in [field(pod, "status", "conditions") or []]
        if not conditions or any(c.get("reason") == "Unschedulable" for c in conditions)
    ]


async def test_everything_becomes_ready_where_the_cluster_runs_pods(
    api: kr8s.asyncio.Api, namespaces: tuple[str, str]
) -> None:
    async with api.call_api("GET", version="v1", url="nodes") as response:
        if not any(_can_run_pods(node) for node in response.json()["items"]):
            pytest.skip("the cluster has no Ready node that can run pods (a bare control plane)")
    namespace, _ = namespaces
    await _install(api, namespace)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def ready() -> None:
        while await _unready(api, namespace):
            failures = await _pull_failures(api, namespace)
            if failures:
                pytest.skip(f"the cluster cannot pull these images: {'; '.join(failures)}")
            unplaced = await _unplaced(api, namespace)
            if unplaced and loop.time() - started > SCHEDULER_GRACE:
                pytest.skip(f"the cluster did not place these pods in {SCHEDULER_GRACE:g} s: {unplaced}")
            await asyncio.sleep(2)

    try:
        await asyncio.wait_for(ready(), READY_WITHIN)
    except TimeoutError:
        unready, pods = await _unready(api, namespace), await _pod_states(api, namespace)
        pytest.fail(f"not ready after {READY_WITHIN:g} s: {unready}; pods: {pods}")
