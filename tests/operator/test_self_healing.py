"""Self-healing end to end in one process: kopf ⇄ kmock ⇄ the simulated WAHA.

Each rule is shown doing its restart and then stopping: a storm limit of 1 lets one restart through
and holds the next (Degraded=True), until the user's `restartedAt` lifts the hold.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from conectafy import labels
from conectafy.operator import metrics
from conectafy.operator.guard import Guards
from conectafy.operator.healer import stamp
from conectafy.simulator.runner import RunningSimulator
from conectafy.waha.status import WahaStatus
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    ApiServerEmulator,
    apply_session,
    eventually,
    live,
    patch_session,
    running_operator,
    session_body,
)
from tests.operator.steps import (
    CHILD,
    NAME,
    event_reasons,
    fast_settings,
    mark_available,
    phase_is,
    seed_api_key,
    session_status,
    sim_control,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)

UID = "0d6b1c2e-0000-4000-8000-0000000000a1"


def restarts(reason: str) -> float:
    return metrics.REGISTRY.get_sample_value("conectafy_operator_restarts_total", {"reason": reason}) or 0.0


def condition(status: dict[str, Any], kind: str) -> tuple[str, str] | None:
    found = next((c for c in status.get("conditions", []) if c["type"] == kind), None)
    return (found["status"], found["reason"]) if found else None


async def connected_session(kube: ApiServerEmulator, simulator: RunningSimulator) -> None:
    await seed_api_key(kube)
    await apply_session(kube, session_body(NAME, UID))
    await eventually(lambda: live(kube, DEPLOYMENTS, CHILD))
    await mark_available(kube)
    await eventually(lambda: phase_is(kube, "ScanQR"))
    await sim_control(simulator, "scan")
    await eventually(lambda: phase_is(kube, "Connected"))


async def keep_failing_until_held(kube: ApiServerEmulator, simulator: RunningSimulator) -> dict[str, Any]:
    """Fail the engine whenever it is WORKING until the operator holds. At 0.3 s timers a tick can run
    on a body older than the last status patch and let one more restart through; it must still stop."""
    for _ in range(100):
        status = session_status(kube)
        if status.get("healingHold"):
            return status
        if simulator.sim.session.status is WahaStatus.WORKING:
            await sim_control(simulator, "fail")
        await asyncio.sleep(0.1)
    raise AssertionError(f"never held: {session_status(kube)}")


def healed_at(kube: ApiServerEmulator) -> str | None:
    template = (live(kube, DEPLOYMENTS, CHILD) or {}).get("spec", {}).get("template", {})
    return (template.get("metadata", {}).get("annotations") or {}).get(labels.HEALED_AT)


def timer_ticks(guards: Guards) -> int:
    """Completed reconciles of the session (the caches spare them any request)."""
    return guards.get(UID).reconciles


async def test_device_unlinked_is_restarted_once_then_logged_out_for_a_new_qr(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    before = restarts("failed")
    async with running_operator(kube, fast_settings(simulator)):
        await connected_session(kube, simulator)
        await sim_control(simulator, "unlink")
        status = await eventually(
            lambda: (s := session_status(kube)).get("deviceUnlinkedAt") and s.get("phase") == "ScanQR" and s
        )
    assert condition(status, "Connected") == ("False", "DeviceUnlinked")
    assert simulator.sim.session.status is WahaStatus.SCAN_QR_CODE  # logged out: a new QR, not FAILED
    assert event_reasons(kube).count("Restarting") == 1  # one restart, then it stopped restarting
    assert {"LoggedOut", "DeviceUnlinked"} <= set(event_reasons(kube))
    assert restarts("failed") == before + 1


async def test_restart_storm_stops_restarting_until_restarted_at_changes(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    settings = fast_settings(simulator, restart_storm_limit=1)
    guards = Guards()
    async with running_operator(kube, settings, guards):
        await connected_session(kube, simulator)
        await sim_control(simulator, "fail")  # restart #1 brings WORKING back
        await eventually(lambda: "Restarting" in event_reasons(kube) and phase_is(kube, "Connected"))
        held = await keep_failing_until_held(kube, simulator)  # #2 would exceed the limit: hold
        assert condition(held, "Degraded") == ("True", "RestartStorm")
        restarted, ticks = event_reasons(kube).count("Restarting"), timer_ticks(guards)
        await eventually(lambda: timer_ticks(guards) >= ticks + 3)  # it stays held: no more restarts
        assert (event_reasons(kube).count("Restarting"), simulator.sim.session.status) == (
            restarted,
            WahaStatus.FAILED,
        )
        stamp = {labels.RESTARTED_AT: "2026-12-03T12:00:00Z"}
        await patch_session(kube, NAME, {"metadata": {"annotations": stamp}})
        resumed = await eventually(lambda: phase_is(kube, "Connected"))
    assert condition(resumed, "Degraded") == ("False", "HealingResumed")
    assert "healingHold" not in resumed
    assert event_reasons(kube).count("Restarting") >= 2  # restarting again (a timer may race the nudge)


async def test_stuck_starting_is_restarted_then_held(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    before = restarts("stuck_starting")
    settings = fast_settings(simulator, stuck_starting_seconds=0.5, restart_storm_limit=1)
    async with running_operator(kube, settings):
        await connected_session(kube, simulator)
        await sim_control(simulator, "disconnect")  # WhatsApp unreachable: STARTING for ever
        await eventually(lambda: restarts("stuck_starting") == before + 1 and phase_is(kube, "Connected"))
        await sim_control(simulator, "disconnect")
        held = await eventually(lambda: (s := phase_is(kube, "Starting")) and s.get("healingHold") and s)
    assert condition(held, "Degraded") == ("True", "RestartStorm")
    assert restarts("stuck_starting") == before + 1


async def test_zombie_pod_is_rolled_then_held(kube: ApiServerEmulator, simulator: RunningSimulator) -> None:
    """Ready, but WAHA never answers (here: nothing listens where the operator looks)."""
    before = restarts("zombie")
    settings = fast_settings(
        simulator, waha_url_template="http://127.0.0.1:9", zombie_poll_failures=2, restart_storm_limit=1
    )
    async with running_operator(kube, settings):
        await seed_api_key(kube)
        await apply_session(kube, session_body(NAME, UID))
        await eventually(lambda: live(kube, DEPLOYMENTS, CHILD))
        await mark_available(kube)
        deployment = await eventually(lambda: healed_at(kube))
        held = await eventually(lambda: (s := session_status(kube)).get("healingHold") and s)
    assert deployment  # the pod template changed: the Deployment controller rolls the pod
    # later applies keep it: the stamp comes from status.podRestartedAt, part of the operator's intent
    rolled_at = datetime.fromisoformat(held["podRestartedAt"].replace("Z", "+00:00"))
    assert healed_at(kube) == stamp(rolled_at)
    assert condition(held, "Degraded") == ("True", "RestartStorm")
    assert "PodRestarted" in event_reasons(kube)
    assert restarts("zombie") == before + 1
