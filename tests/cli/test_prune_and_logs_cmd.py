"""`prune` and `logs` against kmock (the Kubernetes API emulator)."""

from __future__ import annotations

from typing import Any, cast

import kmock

from conectafy.cli.prune_cmd import EXPLANATION
from tests.cli.conftest import NAMESPACE, SESSIONS, CliRun, make_session

WAHA_LABELS = {"app.kubernetes.io/name": "waha", "app.kubernetes.io/part-of": "conectafy"}


def _child(kind: str, session: str, owner_uid: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": f"waha-{session}",
        "namespace": NAMESPACE,
        "labels": {**WAHA_LABELS, "conectafy.io/session": session},
    }
    if owner_uid:
        meta["ownerReferences"] = [
            {
                "apiVersion": "conectafy.io/v1alpha1",
                "kind": "WhatsAppSession",
                "name": session,
                "uid": owner_uid,
                "controller": True,
            }
        ]
    return {"apiVersion": "apps/v1" if kind == "Deployment" else "v1", "kind": kind, "metadata": meta}


async def test_prune_lists_children_of_deleted_sessions_and_explains(
    kube: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", uid="uid-sales")
    kube.objects["apps/v1/deployments", NAMESPACE, "waha-sales"] = _child("Deployment", "sales", "uid-sales")
    kube.objects["apps/v1/deployments", NAMESPACE, "waha-old"] = _child("Deployment", "old", "uid-old")
    kube.objects["v1/services", NAMESPACE, "waha-old"] = _child("Service", "old", "uid-old")
    kube.objects["v1/secrets", NAMESPACE, "waha-old"] = _child("Secret", "old", None)
    kube.objects["v1/persistentvolumeclaims", NAMESPACE, "waha-kept"] = _child(
        "PersistentVolumeClaim", "kept", None
    )
    kube.objects["v1/persistentvolumeclaims", NAMESPACE, "waha-sales"] = _child(
        "PersistentVolumeClaim", "sales", None
    )
    kube.objects["v1/secrets", NAMESPACE, "unrelated"] = {
        "metadata": {"name": "unrelated", "namespace": NAMESPACE}
    }
    result = await cli("prune")
    assert result.exit_code == 0, result.output
    table, explanation = result.output.rstrip("\n").split("\n\n")
    assert [line.split(None, 3) for line in table.splitlines()] == [
        ["KIND", "NAME", "SESSION", "REASON"],
        ["Deployment", "waha-old", "old", "owner gone: the garbage collector deletes it"],
        ["PersistentVolumeClaim", "waha-kept", "kept", "retained: no owner (storage.retainOnDelete)"],
        ["Secret", "waha-old", "old", "left behind: no operator deleted it"],
        ["Service", "waha-old", "old", "owner gone: the garbage collector deletes it"],
    ]
    assert explanation == EXPLANATION


async def test_prune_with_nothing_left_behind(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", uid="uid-sales")
    kube.objects["apps/v1/deployments", NAMESPACE, "waha-sales"] = _child("Deployment", "sales", "uid-sales")
    result = await cli("prune")
    assert (result.exit_code, result.output) == (
        0,
        f"No orphaned WAHA objects in namespace {NAMESPACE}.\n\n{EXPLANATION}\n",
    )


def _pod(name: str, created: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "creationTimestamp": created,
            "labels": {**WAHA_LABELS, "conectafy.io/session": "sales"},
        },
    }


async def test_logs_prints_the_newest_waha_pod_log(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales")
    kube.objects["v1/pods", NAMESPACE, "waha-sales-old"] = _pod("waha-sales-old", "2026-11-28T10:00:00Z")
    kube.objects["v1/pods", NAMESPACE, "waha-sales-new"] = _pod("waha-sales-new", "2026-11-28T11:00:00Z")
    kube[f"get /api/v1/namespaces/{NAMESPACE}/pods/waha-sales-new/log"] << b"WAHA started\nsession WORKING\n"
    result = await cli("logs", "sales", "-f", "--tail", "50")
    assert (result.exit_code, result.output) == (0, "WAHA started\nsession WORKING\n")
    log_request = cast(kmock.Request, kube["get"][-1])
    assert log_request.params == {"follow": "true", "tailLines": "50"}


async def test_logs_of_a_stopped_session_says_why_there_is_none(
    kube: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", paused=True)
    result = await cli("logs", "sales")
    assert (result.exit_code, result.output) == (
        1,
        "error: session 'sales' has no WAHA pod (stopped, or not scheduled yet): "
        "see `kubectl conectafy sessions -n team`\n",
    )
