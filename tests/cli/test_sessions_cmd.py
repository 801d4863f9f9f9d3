"""`sessions`, `restart`, `stop`, `start` against kmock (the Kubernetes API emulator)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import kmock

from conectafy.cli.sessions_cmd import format_age
from tests.cli.conftest import NAMESPACE, SESSIONS, CliRun, make_session


def _pod(session: str, node: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"waha-{session}-7d9f-abcde",
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": "waha", "conectafy.io/session": session},
        },
        "spec": {"nodeName": node},
    }


async def test_sessions_lists_phase_phone_node_and_age(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session(
        "sales", status={"phase": "Connected", "phoneNumber": "5511987654321"}
    )
    kube.objects[SESSIONS, NAMESPACE, "support"] = make_session("support", status={"phase": "ScanQR"})
    kube.objects[SESSIONS, NAMESPACE, "archive"] = make_session(
        "archive", status={"phase": "Stopped"}, paused=True
    )
    kube.objects["v1/pods", NAMESPACE, "waha-sales-7d9f-abcde"] = _pod("sales", "droplet-2")
    kube.objects["v1/pods", NAMESPACE, "waha-support-7d9f-abcde"] = _pod("support", "droplet-1")
    result = await cli("sessions")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    age = lines[1].split()[-1]
    assert [line.split() for line in lines] == [
        ["NAME", "PHASE", "PHONE", "NODE", "AGE"],
        ["archive", "Stopped", "<none>", "<none>", age],
        ["sales", "Connected", "5511987654321", "droplet-2", age],
        ["support", "ScanQR", "<none>", "droplet-1", age],
    ]


async def test_sessions_says_when_the_namespace_has_none(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, "elsewhere", "sales"] = make_session("sales")
    result = await cli("sessions", "-n", "empty")
    assert (result.exit_code, result.output) == (0, "No WhatsAppSessions in namespace empty.\n")


def test_age_uses_the_largest_unit_like_kubectl() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    ages = [
        format_age(created, now)
        for created in (
            "2026-11-28T11:59:15Z",
            "2026-11-28T11:48:00Z",
            "2026-11-28T07:00:00Z",
            "2026-11-25T12:00:00Z",
            None,
        )
    ]
    assert ages == ["45s", "12m", "5h", "3d", "<unknown>"]


async def test_restart_sets_the_restarted_at_annotation(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales")
    result = await cli("restart", "sales")
    assert result.exit_code == 0, result.output
    assert len(kube["patch"]) == 1
    patch = cast(kmock.Request, kube["patch"][0])
    stamp = patch.data["metadata"]["annotations"]["conectafy.io/restartedAt"]
    assert patch.data == {"metadata": {"annotations": {"conectafy.io/restartedAt": stamp}}}
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None
    assert kube.objects[SESSIONS, NAMESPACE, "sales"]["metadata"]["annotations"] == {
        "conectafy.io/restartedAt": stamp
    }


async def test_stop_pauses_the_session(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales")
    result = await cli("stop", "sales")
    assert (result.exit_code, result.output) == (0, "whatsappsession/sales stopped (spec.paused=true)\n")
    assert kube.objects[SESSIONS, NAMESPACE, "sales"]["spec"] == {"engine": "GOWS", "paused": True}


async def test_start_unpauses_the_session(kube: kmock.KubernetesEmulator, cli: CliRun) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", paused=True)
    result = await cli("start", "sales")
    assert (result.exit_code, result.output) == (0, "whatsappsession/sales started (spec.paused=false)\n")
    assert kube.objects[SESSIONS, NAMESPACE, "sales"]["spec"] == {"engine": "GOWS", "paused": False}


async def test_unknown_session_is_a_clear_error_and_nothing_is_patched(
    kube: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales")
    result = await cli("stop", "sale")
    assert (result.exit_code, result.output) == (
        1,
        "error: WhatsAppSession 'sale' not found in namespace 'team'\n",
    )
    assert len(kube["patch"]) == 0
