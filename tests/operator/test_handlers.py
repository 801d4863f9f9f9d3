"""The operator end to end in one process: kopf (KopfRunner) ⇄ kmock (Kubernetes API) ⇄ simulated WAHA.

kmock has no controllers: where a test needs an available Deployment it writes the Deployment's
status the way the Deployment controller would after a kubelet reported the pod Ready.
"""

from __future__ import annotations

import base64

import pytest

from conectafy import labels
from conectafy.operator.guard import Guards
from conectafy.session import API_VERSION, KIND
from conectafy.simulator.runner import RunningSimulator
from conectafy.waha.status import WahaStatus
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    NAMESPACE,
    PVCS,
    SECRETS,
    SERVICES,
    SESSIONS,
    ApiServerEmulator,
    apply_session,
    eventually,
    kube_request,
    live,
    patch_session,
    running_operator,
    session_body,
)
from tests.operator.steps import (
    API_KEY,
    CHILD,
    CHILD_RESOURCES,
    NAME,
    UID,
    event_reasons,
    fast_settings,
    mark_available,
    phase_is,
    seed_api_key,
    session_status,
    sim_control,
    start_session,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)


async def test_create_makes_four_children_owned_by_the_session(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """The Secret is owned by nobody: it co-owns the workload until the delete handler's logout."""
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
    owner = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": NAME,
        "uid": UID,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    secret = live(kube, SECRETS, CHILD) or {}
    guard = {"apiVersion": "v1", "kind": "Secret", "name": CHILD, "uid": secret["metadata"]["uid"]}
    owners = {r: (live(kube, r, CHILD) or {})["metadata"].get("ownerReferences") for r in CHILD_RESOURCES}
    assert owners == {SECRETS: None, PVCS: [owner], DEPLOYMENTS: [owner, guard], SERVICES: [owner, guard]}
    for resource in CHILD_RESOURCES:
        assert (live(kube, resource, CHILD) or {})["metadata"]["labels"][labels.SESSION] == NAME, resource


async def test_existing_secret_keeps_its_key_and_gains_the_missing_ones(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
    data = (live(kube, SECRETS, CHILD) or {})["data"]
    decoded = {key: base64.b64decode(value).decode() for key, value in data.items()}
    assert sorted(decoded) == ["api-key", "api-key-sha512", "dashboard-password", "webhook-hmac-key"]
    assert decoded["api-key"] == API_KEY


async def test_steady_state_ticks_make_no_kubernetes_request(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    guards = Guards()
    async with running_operator(kube, fast_settings(simulator, status_poll_interval=3600), guards):
        await start_session(kube)
        await eventually(lambda: phase_is(kube, "Pending"))
        ticks = guards.get(UID).reconciles + 1  # let the last write's watch event settle first
        await eventually(lambda: guards.get(UID).reconciles >= ticks)
        requests, ticks = kube.request_count, guards.get(UID).reconciles
        await eventually(lambda: guards.get(UID).reconciles >= ticks + 3)  # three timer ticks
        assert kube.request_count == requests


async def test_paused_session_scales_to_zero_and_is_stopped(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await patch_session(kube, NAME, {"spec": {"paused": True}})
        await eventually(lambda: (live(kube, DEPLOYMENTS, CHILD) or {})["spec"]["replicas"] == 0)
        status = await eventually(lambda: phase_is(kube, "Stopped"))
    ready = next(condition for condition in status["conditions"] if condition["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "Paused")


async def test_restarted_at_annotation_rolls_the_pod_template(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    stamp = "2026-11-28T18:00:00Z"
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await patch_session(kube, NAME, {"metadata": {"annotations": {labels.RESTARTED_AT: stamp}}})
        template = await eventually(
            lambda: (live(kube, DEPLOYMENTS, CHILD) or {})["spec"]["template"]["metadata"].get("annotations")
        )
    assert template == {labels.RESTARTED_AT: stamp}


async def test_retain_on_delete_releases_the_claim(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        assert (live(kube, PVCS, CHILD) or {})["metadata"]["ownerReferences"]
        await patch_session(kube, NAME, {"spec": {"storage": {"retainOnDelete": True}}})
        await eventually(
            lambda: "ownerReferences" not in (live(kube, PVCS, CHILD) or {"metadata": {}})["metadata"]
        )


async def test_deleted_child_is_restored(kube: ApiServerEmulator, simulator: RunningSimulator) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        original = live(kube, SERVICES, CHILD) or {}
        await kube_request(kube, "DELETE", f"/api/v1/namespaces/{NAMESPACE}/services/{CHILD}")
        restored = await eventually(lambda: live(kube, SERVICES, CHILD))
    assert restored["spec"] == original["spec"]


async def test_a_recreated_secret_guards_the_workload_again(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await kube_request(kube, "DELETE", f"/api/v1/namespaces/{NAMESPACE}/secrets/{CHILD}")
        secret = await eventually(lambda: live(kube, SECRETS, CHILD))
        uid = secret["metadata"]["uid"]

        def guards() -> list[str]:
            workload = [live(kube, kind, CHILD) or {} for kind in (DEPLOYMENTS, SERVICES)]
            owners = [child["metadata"]["ownerReferences"] for child in workload]
            return [ref["uid"] for refs in owners for ref in refs if ref["kind"] == "Secret"]

        await eventually(lambda: guards() == [uid, uid])


async def test_hand_edited_child_is_restored(kube: ApiServerEmulator, simulator: RunningSimulator) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        original = (live(kube, DEPLOYMENTS, CHILD) or {})["spec"]["template"]["spec"]["containers"]
        edit = {
            "spec": {"template": {"spec": {"containers": [{**original[0], "image": "evil/waha:latest"}]}}}
        }
        await kube_request(
            kube,
            "PATCH",
            f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{CHILD}",
            edit,
            "application/merge-patch+json",
        )
        await eventually(
            lambda: (
                (live(kube, DEPLOYMENTS, CHILD) or {})["spec"]["template"]["spec"]["containers"] == original
            )
        )


async def test_status_follows_waha_from_qr_to_connected(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await eventually(lambda: phase_is(kube, "Pending"))  # children exist, no pod is ready yet
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR"))
        await sim_control(simulator, "scan")
        status = await eventually(lambda: phase_is(kube, "Connected"))
        await eventually(lambda: "Working" in event_reasons(kube))
    assert {key: status[key] for key in ("phase", "waStatus", "phoneNumber", "pushName", "endpoint")} == {
        "phase": "Connected",
        "waStatus": "WORKING",
        "phoneNumber": "+15550001111",
        "pushName": "Conectafy Simulator",
        "endpoint": simulator.url,
    }
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {"Ready": ("True", "WorkloadAvailable"), "Connected": ("True", "Working")}
    assert status["lastConnectedAt"]
    assert {"PhaseChanged", "WorkloadAvailable", "ScanQR", "Working"} <= set(event_reasons(kube))


async def test_failed_session_is_restarted_with_an_event(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR"))
        await sim_control(simulator, "scan")
        await eventually(lambda: phase_is(kube, "Connected"))
        await sim_control(simulator, "fail")
        await eventually(lambda: "Restarting" in event_reasons(kube))
        status = await eventually(
            lambda: session_status(kube).get("lastRestartAt") and phase_is(kube, "Connected")
        )
    assert simulator.sim.session.status is WahaStatus.WORKING  # the stored login survived the restart
    assert status.get("failureCount") is None  # a connection resets the backoff


async def test_failed_session_waits_for_its_backoff(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """FAILED before any login: one restart at once (back to a QR), the next waits base·2¹ = 1 h."""
    settings = fast_settings(simulator, failed_restart_backoff_base=1800.0, failed_restart_backoff_max=3600.0)
    guards = Guards()
    async with running_operator(kube, settings, guards):
        await start_session(kube)
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR"))
        await sim_control(simulator, "fail")  # FAILED → restart #1 → SCAN_QR_CODE
        await eventually(lambda: session_status(kube).get("failureCount") == 1 and phase_is(kube, "ScanQR"))
        await sim_control(simulator, "fail")  # FAILED again: restart #2 is 1 h away
        status = await eventually(lambda: phase_is(kube, "Failed"))
        ticks = guards.get(UID).reconciles
        await eventually(lambda: guards.get(UID).reconciles >= ticks + 3)
    assert status["failureCount"] == 1
    assert event_reasons(kube).count("Restarting") == 1
    assert simulator.sim.session.status is WahaStatus.FAILED


async def test_status_hint_annotation_rereads_waha_at_once(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """With the poll an hour away, only the API's nudge can make the operator notice WORKING."""
    async with running_operator(kube, fast_settings(simulator, status_poll_interval=3600.0)):
        await start_session(kube)
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR") or phase_is(kube, "Starting"))
        await sim_control(simulator, "scan")
        await eventually(lambda: simulator.sim.session.status is WahaStatus.WORKING)
        hint = {labels.WAHA_STATUS_HINT: "WORKING", labels.WAHA_STATUS_HINT_AT: "2026-11-28T18:00:00Z"}
        await patch_session(kube, NAME, {"metadata": {"annotations": hint}})
        await eventually(lambda: phase_is(kube, "Connected"))


async def test_delete_logs_out_of_waha(kube: ApiServerEmulator, simulator: RunningSimulator) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR"))
        await sim_control(simulator, "scan")
        await eventually(lambda: phase_is(kube, "Connected"))
        path = f"/apis/conectafy.io/v1alpha1/namespaces/{NAMESPACE}/whatsappsessions/{NAME}"
        await kube_request(kube, "DELETE", path)
        await eventually(lambda: live(kube, SESSIONS, NAME) is None)
    assert simulator.sim.session.has_creds is False
    assert simulator.sim.session.me is None
    assert live(kube, SECRETS, CHILD) is None  # the guard goes after the logout; GC takes the workload


async def test_delete_of_a_paused_session_removes_its_secret(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube, {"paused": True})
        path = f"/apis/conectafy.io/v1alpha1/namespaces/{NAMESPACE}/whatsappsessions/{NAME}"
        await kube_request(kube, "DELETE", path)
        await eventually(lambda: live(kube, SESSIONS, NAME) is None)
    assert (live(kube, SECRETS, CHILD), simulator.sim.session.has_creds) == (None, False)


async def test_a_secret_adopted_by_an_older_operator_loses_the_sessions_owner_reference(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """Else deleting the session would cascade to it, in the foreground before the logout."""
    session_owner = {"apiVersion": API_VERSION, "kind": KIND, "name": NAME, "uid": UID, "controller": True}
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "keeper", "uid": "other-uid"}
    await seed_api_key(kube)
    path = f"/api/v1/namespaces/{NAMESPACE}/secrets/{CHILD}"
    owners = {"metadata": {"ownerReferences": [session_owner, other]}}
    await kube_request(kube, "PATCH", path, owners, "application/merge-patch+json")
    async with running_operator(kube, fast_settings(simulator)):
        await apply_session(kube, session_body(NAME, UID, None))
        await eventually(lambda: (live(kube, SECRETS, CHILD) or {})["metadata"]["ownerReferences"] == [other])
