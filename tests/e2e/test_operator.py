"""The operator against the real cluster in KUBECONFIG (kube-apiserver + kube-controller-manager).

The operator runs in this process (kopf's KopfRunner), outside the cluster, watching one fresh
namespace; CONECTAFY_WAHA_URL_TEMPLATE points it at a WAHA simulator on 127.0.0.1, so WAHA's part
is served by the simulator. No image is pulled and no kubelet is needed: `fake_kubelet` registers a
fake Node, binds the WAHA pod to it and writes the pod Running/Ready the way a kubelet would; the real
ReplicaSet/Deployment controllers then report the Deployment available, and the real garbage
collector removes the children of a deleted session. The example session gets a nodeSelector for
the fake node so that a real scheduler (kind) never places it on a real node.
"""

from __future__ import annotations

import asyncio
from typing import Any

import kr8s
import kr8s.asyncio
import pytest

from conectafy import labels
from conectafy.simulator.runner import RunningSimulator
from tests.e2e.fake_kubelet import TOLERATION, call, force_delete_pods
from tests.e2e.operator_env import (  # noqa: F401 - fixtures
    API_KEY,
    CHILD,
    CHILDREN,
    MERGE,
    NAME,
    SESSIONS,
    UNPROVISIONED,
    api_fixture,
    apply_example,
    child_path,
    children,
    get,
    namespace_fixture,
    node_fixture,
    operator_fixture,
    operator_without_timer_fixture,
    phase,
    poll,
    running,
    scan_qr,
    session_path,
    simulator_fixture,
)
from tests.support.apiserver import field

pytestmark = pytest.mark.e2e


@pytest.mark.usefixtures("operator")
async def test_children_exist_owned_and_valid(api: kr8s.asyncio.Api, namespace: str, node: str) -> None:
    session = await apply_example(api, namespace, node)
    found = await poll(lambda: children(api, namespace))
    owner = {
        "apiVersion": SESSIONS,
        "kind": "WhatsAppSession",
        "name": NAME,
        "uid": session["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    guard = {"apiVersion": "v1", "kind": "Secret", "name": CHILD, "uid": found["secrets"]["metadata"]["uid"]}
    assert {plural: child["metadata"].get("ownerReferences") for plural, child in found.items()} == {
        "secrets": None,  # the guard: deleted by the operator after the logout
        "persistentvolumeclaims": [owner],
        "services": [owner, guard],
        "deployments": [owner, guard],
    }
    deployment = found["deployments"]["spec"]
    assert (deployment["replicas"], deployment["strategy"]["type"]) == (1, "Recreate")
    assert found["services"]["spec"]["type"] == "ClusterIP"


@pytest.mark.usefixtures("operator")
async def test_status_progresses_when_the_deployment_becomes_available(
    api: kr8s.asyncio.Api, namespace: str, node: str, simulator: RunningSimulator
) -> None:
    await apply_example(api, namespace, node)
    await poll(lambda: phase(api, namespace, "Pending"))
    await poll(lambda: running(api, namespace, node))
    await poll(lambda: phase(api, namespace, "ScanQR"))
    await scan_qr(simulator)
    status = await poll(lambda: phase(api, namespace, "Connected"))
    assert {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]} == {
        "Ready": ("True", "WorkloadAvailable"),
        "Connected": ("True", "Working"),
    }
    assert (status["waStatus"], status["phoneNumber"]) == ("WORKING", "+15550001111")
    events = await call(
        api,
        "GET",
        f"v1/namespaces/{namespace}/events",
        params={"fieldSelector": f"involvedObject.name={NAME}"},
    )
    assert {"PhaseChanged", "WorkloadAvailable", "ScanQR", "Working"} <= {
        e["reason"] for e in events["items"]
    }


@pytest.mark.usefixtures("operator")
async def test_pause_scales_to_zero_and_stops(api: kr8s.asyncio.Api, namespace: str, node: str) -> None:
    await apply_example(api, namespace, node)
    await poll(lambda: children(api, namespace))
    await call(api, "PATCH", session_path(namespace), {"spec": {"paused": True}}, headers=MERGE)

    async def scaled_down() -> bool:
        deployment = await get(api, child_path(namespace, "deployments")) or {}
        return bool(field(deployment, "spec", "replicas") == 0)

    await poll(scaled_down)
    status = await poll(lambda: phase(api, namespace, "Stopped"))
    assert {c["type"]: c["reason"] for c in status["conditions"]} == {
        "Ready": "Paused",
        "Connected": "Paused",
    }
    assert await get(api, child_path(namespace, "persistentvolumeclaims"))  # the login data is kept


@pytest.mark.usefixtures("operator")
async def test_restarted_at_rolls_the_pod_template(api: kr8s.asyncio.Api, namespace: str, node: str) -> None:
    await apply_example(api, namespace, node)
    await poll(lambda: children(api, namespace))
    stamp = "2026-11-28T18:00:00Z"
    await call(
        api,
        "PATCH",
        session_path(namespace),
        {"metadata": {"annotations": {labels.RESTARTED_AT: stamp}}},
        headers=MERGE,
    )

    async def rolled() -> bool:
        template = ((await get(api, child_path(namespace, "deployments"))) or {})["spec"]["template"]
        return bool(field(template, "metadata", "annotations", labels.RESTARTED_AT) == stamp)

    await poll(rolled)


@pytest.mark.usefixtures("operator")
async def test_deleted_and_edited_children_are_restored(
    api: kr8s.asyncio.Api, namespace: str, node: str
) -> None:
    await apply_example(api, namespace, node)
    found = await poll(lambda: children(api, namespace))
    await call(api, "DELETE", child_path(namespace, "services"))
    await call(api, "PATCH", child_path(namespace, "deployments"), {"spec": {"replicas": 3}}, headers=MERGE)

    async def healed() -> bool:
        service = await get(api, child_path(namespace, "services"))
        deployment = await get(api, child_path(namespace, "deployments")) or {}
        return bool(
            service
            and service["metadata"]["uid"] != found["services"]["metadata"]["uid"]
            and deployment["spec"]["replicas"] == 1
        )

    await poll(healed, within=30.0)  # the promise: drift is healed within 30 s


@pytest.mark.usefixtures("operator")
async def test_delete_logs_out_and_children_are_collected(
    api: kr8s.asyncio.Api, namespace: str, node: str, simulator: RunningSimulator
) -> None:
    await apply_example(api, namespace, node)
    await poll(lambda: running(api, namespace, node))
    await poll(lambda: phase(api, namespace, "ScanQR"))
    await scan_qr(simulator)
    await poll(lambda: phase(api, namespace, "Connected"))
    await call(api, "DELETE", session_path(namespace))

    async def collected() -> bool:
        await force_delete_pods(api, namespace, NAME)  # what the kubelet would confirm
        return all([await get(api, child_path(namespace, plural)) is None for plural in CHILDREN])

    await poll(collected)
    assert simulator.sim.session.has_creds is False  # WAHA's logout was called before the data went


@pytest.mark.usefixtures("operator")
async def test_foreground_delete_logs_out_while_waha_still_runs(
    api: kr8s.asyncio.Api, namespace: str, node: str, simulator: RunningSimulator
) -> None:
    """`kubectl delete --cascade=foreground`: the garbage collector deletes a session's dependents at once,
    before any finalizer runs. The Deployment and the Service are co-owned by the Secret, so they must
    outlive the logout; every observation before the logout finds them in place, not being deleted."""
    await apply_example(api, namespace, node)
    await poll(lambda: running(api, namespace, node))
    await poll(lambda: phase(api, namespace, "ScanQR"))
    await scan_qr(simulator)
    await poll(lambda: phase(api, namespace, "Connected"))
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"}
    await call(api, "DELETE", session_path(namespace), options)  # kubectl delete --cascade=foreground
    early: list[dict[str, bool]] = []

    async def in_place(plural: str) -> bool:
        child = await get(api, child_path(namespace, plural))
        return child is not None and not field(child, "metadata", "deletionTimestamp")

    async def collected() -> bool:
        if simulator.sim.session.has_creds:  # not logged out yet: WAHA must be untouched
            early.append({plural: await in_place(plural) for plural in ("deployments", "services")})
            return False
        await force_delete_pods(api, namespace, NAME)  # what the kubelet would confirm
        gone = [await get(api, child_path(namespace, plural)) is None for plural in CHILDREN]
        return all(gone) and await get(api, session_path(namespace)) is None

    await poll(collected)
    assert [observation for observation in early if not all(observation.values())] == []
    assert simulator.sim.session.has_creds is False


@pytest.mark.usefixtures("operator")
async def test_retained_pvc_survives_the_session(api: kr8s.asyncio.Api, namespace: str, node: str) -> None:
    await apply_example(api, namespace, node, storage={"size": "1Gi", "retainOnDelete": True})
    await poll(lambda: children(api, namespace))
    await call(api, "DELETE", session_path(namespace))

    async def others_collected() -> bool:
        await force_delete_pods(api, namespace, NAME)
        return all(
            [await get(api, child_path(namespace, p)) is None for p in ("deployments", "services", "secrets")]
        )

    await poll(others_collected)
    pvc = await get(api, child_path(namespace, "persistentvolumeclaims"))
    assert pvc is not None and "ownerReferences" not in pvc["metadata"]


@pytest.mark.usefixtures("operator")
async def test_kubectl_get_wa_columns(api: kr8s.asyncio.Api, namespace: str, node: str) -> None:
    """`kubectl get wa` asks for a Table; the CRD's printer columns must be in it."""
    await apply_example(api, namespace, node)
    await poll(lambda: phase(api, namespace, "Pending"))
    async with api.call_api(
        "GET",
        version=SESSIONS,
        namespace=namespace,
        url="whatsappsessions",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    ) as response:
        table = response.json()
    columns = [(c["name"], c.get("priority", 0)) for c in table["columnDefinitions"]]
    assert columns == [
        ("Name", 0),
        ("Phase", 0),
        ("Phone", 0),
        ("Engine", 0),
        ("Ready", 0),
        ("Age", 0),
        ("Image", 1),
    ]
    cells = table["rows"][0]["cells"]
    assert (cells[0], cells[1], cells[3], cells[4]) == (NAME, "Pending", "GOWS", "False")


@pytest.mark.usefixtures("operator_without_timer")
async def test_a_deleted_child_is_healed_from_its_watch_event(
    api: kr8s.asyncio.Api, namespace: str, node: str
) -> None:
    await apply_example(api, namespace, node)
    found = await poll(lambda: children(api, namespace))
    await call(api, "DELETE", child_path(namespace, "services"))

    async def restored() -> bool:
        service = await get(api, child_path(namespace, "services"))
        return bool(service and service["metadata"]["uid"] != found["services"]["metadata"]["uid"])

    await poll(restored, within=30.0)


@pytest.mark.usefixtures("operator")
async def test_removing_the_node_selector_unpins_the_pod(
    api: kr8s.asyncio.Api, namespace: str, node: str
) -> None:
    """Paused, so no pod of an unpinned template is ever scheduled on a real node."""
    await apply_example(api, namespace, node, paused=True)
    await poll(lambda: children(api, namespace))
    unpinned = {"spec": {"scheduling": {"nodeSelector": None, "tolerations": [TOLERATION]}}}
    await call(api, "PATCH", session_path(namespace), unpinned, headers=MERGE)

    async def unpinned_template() -> bool:
        deployment = await get(api, child_path(namespace, "deployments")) or {}
        pod = deployment.get("spec", {}).get("template", {}).get("spec", {})
        return bool(pod and "nodeSelector" not in pod and pod.get("tolerations"))

    await poll(unpinned_template, within=30.0)


@pytest.mark.usefixtures("operator")
async def test_a_rejected_pvc_is_an_invalid_spec_condition_not_a_loop(
    api: kr8s.asyncio.Api, namespace: str, node: str
) -> None:
    """A claim left behind (retained) by an older session with another StorageClass: the class of a
    claim is immutable, so the API server answers 422 to our apply."""
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": CHILD, "namespace": namespace},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": f"{UNPROVISIONED}-older",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    await call(api, "POST", f"v1/namespaces/{namespace}/persistentvolumeclaims", claim)
    await apply_example(api, namespace, node)

    async def invalid() -> dict[str, Any] | None:
        status = (await get(api, session_path(namespace)) or {}).get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), {})
        return ready if ready.get("reason") == "InvalidSpec" else None

    async def warned() -> list[str] | None:
        selector = {"fieldSelector": f"involvedObject.name={NAME}"}
        events = await call(api, "GET", f"v1/namespaces/{namespace}/events", params=selector)
        return [e["type"] for e in events["items"] if e["reason"] == "InvalidSpec"] or None

    ready = await poll(invalid)
    await asyncio.sleep(3)  # three timer ticks: a loop would post more Events and touch the claim again
    assert (ready["status"], await poll(warned)) == ("False", ["Warning"])
    claim_now = await get(api, child_path(namespace, "persistentvolumeclaims")) or {}
    assert claim_now["spec"]["storageClassName"] == f"{UNPROVISIONED}-older"
    assert await get(api, child_path(namespace, "deployments")) is None  # nothing after the claim
