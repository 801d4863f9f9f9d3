"""Children written by server-side apply and healed from their watch events (kopf ⇄ kmock ⇄ simulator).

kmock emulates apply for a single field manager (see kopf_harness); tests/e2e/test_operator.py
checks the same behaviours against a real API server.
"""

from __future__ import annotations

import pytest

from conectafy.simulator.runner import RunningSimulator
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    NAMESPACE,
    SERVICES,
    ApiServerEmulator,
    eventually,
    kube_request,
    live,
    patch_session,
    requests_to,
    running_operator,
)
from tests.operator.steps import CHILD, NAME, fast_settings, start_session

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)

PINNED = {"scheduling": {"nodeSelector": {"kubernetes.io/hostname": "node-a"}}}


def node_selector(server: ApiServerEmulator) -> object:
    pod = (live(server, DEPLOYMENTS, CHILD) or {}).get("spec", {}).get("template", {}).get("spec", {})
    return pod.get("nodeSelector", "absent")


async def test_a_field_removed_from_the_spec_is_removed_from_the_deployment(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube, PINNED)
        assert node_selector(kube) == {"kubernetes.io/hostname": "node-a"}
        await patch_session(kube, NAME, {"spec": {"scheduling": None}})
        await eventually(lambda: node_selector(kube) == "absent")


async def test_a_deleted_child_is_healed_from_its_watch_event(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """The timer is an hour away: only the Service's DELETED event can bring it back."""
    async with running_operator(kube, fast_settings(simulator, drift_check_interval=3600)):
        await start_session(kube)
        await kube_request(kube, "DELETE", f"/api/v1/namespaces/{NAMESPACE}/services/{CHILD}")
        await eventually(lambda: live(kube, SERVICES, CHILD), within=10)


async def test_a_hand_edit_is_undone_from_its_watch_event_once(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    async with running_operator(kube, fast_settings(simulator, drift_check_interval=3600)):
        await start_session(kube)
        path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{CHILD}"
        await kube_request(kube, "PATCH", path, {"spec": {"replicas": 3}}, "application/merge-patch+json")
        await eventually(lambda: (live(kube, DEPLOYMENTS, CHILD) or {})["spec"]["replicas"] == 1, within=10)
        applies = len(requests_to(kube, DEPLOYMENTS, "PATCH"))
    assert applies == 3  # ours at creation, the hand edit, ours healing it: our echo is not re-applied
