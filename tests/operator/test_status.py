"""Status as a public API: phases, conditions with stable transition times, events, backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conectafy.operator.status import (
    Observation,
    Reason,
    Transition,
    build_status,
    failed_restart_delay,
    phone_from_me_id,
    transitions,
)
from conectafy.phase import phase_for
from conectafy.session import Condition, Phase, WhatsAppSessionStatus
from conectafy.waha.status import WahaStatus

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)
RUNNING = Observation(
    generation=2,
    paused=False,
    workload_exists=True,
    workload_available=True,
    waha_status=WahaStatus.WORKING,
    phone_number="+15550001111",
    push_name="Acme Support",
    endpoint="http://waha-support.tenant-a.svc:3000",
    image="devlikeapro/waha:gows-2026.8.2",
)

PHASE_OF_WAHA = {
    WahaStatus.STOPPED: Phase.STOPPED,
    WahaStatus.STARTING: Phase.STARTING,
    WahaStatus.SCAN_QR_CODE: Phase.SCAN_QR,
    WahaStatus.PASSKEY_REQUIRED: Phase.SCAN_QR,
    WahaStatus.PASSKEY_CONFIRMATION_REQUIRED: Phase.SCAN_QR,
    WahaStatus.WORKING: Phase.CONNECTED,
    WahaStatus.FAILED: Phase.FAILED,
}


def test_every_waha_status_has_a_phase() -> None:
    assert set(PHASE_OF_WAHA) == set(WahaStatus)


@pytest.mark.parametrize(("waha", "phase"), PHASE_OF_WAHA.items())
def test_phase_of_a_running_workload_follows_waha(waha: WahaStatus, phase: Phase) -> None:
    assert phase_for(waha, paused=False, workload_available=True) is phase


@pytest.mark.parametrize(
    ("waha", "paused", "available", "phase"),
    [
        (WahaStatus.WORKING, True, True, Phase.STOPPED),  # paused wins (WAHA still draining)
        (None, True, False, Phase.STOPPED),
        (None, False, False, Phase.PENDING),
        (WahaStatus.WORKING, False, False, Phase.STARTING),  # stale: the pod is gone
        (None, False, True, Phase.STARTING),  # ready but WAHA did not answer yet
    ],
)
def test_phase_without_a_running_workload(
    waha: WahaStatus | None, paused: bool, available: bool, phase: Phase
) -> None:
    assert phase_for(waha, paused=paused, workload_available=available) is phase


@pytest.mark.parametrize(
    ("me_id", "phone"),
    [
        ("15550001111@c.us", "+15550001111"),
        ("15550001111@s.whatsapp.net", "+15550001111"),
        ("15550001111:12@s.whatsapp.net", "+15550001111"),
        ("123456789012345@lid", None),
        ("120363000000000000@g.us", None),
        ("not-a-number@c.us", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_from_me_id(me_id: str | None, phone: str | None) -> None:
    assert phone_from_me_id(me_id) == phone


def _condition(kind: str, status: Any, reason: str, message: str, since: datetime) -> Condition:
    return Condition(
        type=kind,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=2,
    )


def test_first_status_of_a_connected_session() -> None:
    assert build_status(RUNNING, None, T0) == WhatsAppSessionStatus(
        phase=Phase.CONNECTED,
        wa_status="WORKING",
        phone_number="+15550001111",
        push_name="Acme Support",
        endpoint="http://waha-support.tenant-a.svc:3000",
        waha_session="default",
        image="devlikeapro/waha:gows-2026.8.2",
        observed_generation=2,
        last_connected_at=T0,
        conditions=[
            _condition("Ready", "True", Reason.WORKLOAD_AVAILABLE, "The WAHA pod is ready.", T0),
            _condition("Connected", "True", Reason.WORKING, "WAHA session status is WORKING.", T0),
        ],
    )


def test_first_status_before_the_deployment_exists() -> None:
    pending = Observation(generation=1, paused=False, workload_exists=False, workload_available=False)
    assert build_status(pending, None, T0) == WhatsAppSessionStatus(
        phase=Phase.PENDING,
        observed_generation=1,
        conditions=[
            Condition(
                type="Ready",
                status="False",
                reason=Reason.WORKLOAD_MISSING,
                message="The WAHA Deployment does not exist yet.",
                last_transition_time=T0,
                observed_generation=1,
            ),
            Condition(
                type="Connected",
                status="False",
                reason=Reason.WORKLOAD_UNAVAILABLE,
                message="WAHA is not running.",
                last_transition_time=T0,
                observed_generation=1,
            ),
        ],
    )


@pytest.mark.parametrize(
    ("observation", "ready", "connected"),
    [
        (
            replace(RUNNING, paused=True, workload_available=False, waha_status=None),
            ("False", Reason.PAUSED),
            ("False", Reason.PAUSED),
        ),
        (
            replace(RUNNING, workload_available=False),
            ("False", Reason.WORKLOAD_UNAVAILABLE),
            ("False", Reason.WORKLOAD_UNAVAILABLE),
        ),
        (
            replace(RUNNING, waha_status=None, waha_error="connection refused"),
            ("True", Reason.WORKLOAD_AVAILABLE),
            ("Unknown", Reason.WAHA_UNREACHABLE),
        ),
        (
            replace(RUNNING, waha_status=WahaStatus.SCAN_QR_CODE),
            ("True", Reason.WORKLOAD_AVAILABLE),
            ("False", Reason.SCAN_QR),
        ),
        (
            replace(RUNNING, waha_status=WahaStatus.PASSKEY_REQUIRED),
            ("True", Reason.WORKLOAD_AVAILABLE),
            ("False", Reason.PASSKEY_REQUIRED),
        ),
        (
            replace(RUNNING, waha_status=WahaStatus.FAILED),
            ("True", Reason.WORKLOAD_AVAILABLE),
            ("False", Reason.FAILED),
        ),
        (
            replace(RUNNING, waha_status=WahaStatus.STOPPED),
            ("True", Reason.WORKLOAD_AVAILABLE),
            ("False", Reason.STOPPED),
        ),
    ],
)
def test_condition_status_and_reason(
    observation: Observation, ready: tuple[str, str], connected: tuple[str, str]
) -> None:
    status = build_status(observation, None, T0)
    assert [(c.type, c.status, c.reason) for c in status.conditions] == [
        ("Ready", *ready),
        ("Connected", *connected),
    ]


def test_unreachable_waha_says_why() -> None:
    status = build_status(replace(RUNNING, waha_status=None, waha_error="connection refused"), None, T0)
    assert (status.conditions[1].message, status.wa_status) == ("connection refused", None)


def test_transition_time_stays_while_status_stays() -> None:
    starting = build_status(replace(RUNNING, waha_status=WahaStatus.STARTING), None, T0)
    scanning = build_status(replace(RUNNING, waha_status=WahaStatus.SCAN_QR_CODE), starting, T1)
    assert [(c.reason, c.last_transition_time) for c in scanning.conditions] == [
        (Reason.WORKLOAD_AVAILABLE, T0),
        (Reason.SCAN_QR, T0),  # still False: the reason changed, the transition time did not
    ]


def test_transition_time_moves_when_status_changes() -> None:
    scanning = build_status(replace(RUNNING, waha_status=WahaStatus.SCAN_QR_CODE), None, T0)
    connected = build_status(RUNNING, scanning, T1)
    assert [c.last_transition_time for c in connected.conditions] == [T0, T1]


def test_last_connected_at_marks_the_moment_of_connection() -> None:
    scanning = build_status(replace(RUNNING, waha_status=WahaStatus.SCAN_QR_CODE), None, T0)
    connected = build_status(RUNNING, scanning, T1)
    still = build_status(RUNNING, connected, T2)
    moments = (scanning.last_connected_at, connected.last_connected_at, still.last_connected_at)
    assert moments == (None, T1, T1)


def test_disconnect_keeps_identity_and_last_connection() -> None:
    connected = build_status(RUNNING, None, T0)
    failed = build_status(
        replace(RUNNING, waha_status=WahaStatus.FAILED, phone_number=None, push_name=None), connected, T1
    )
    assert (failed.phase, failed.phone_number, failed.push_name, failed.last_connected_at) == (
        Phase.FAILED,
        "+15550001111",
        "Acme Support",
        T0,
    )


def test_connection_clears_the_failed_restart_counter() -> None:
    failing = build_status(replace(RUNNING, waha_status=WahaStatus.FAILED), None, T0)
    failing = failing.model_copy(update={"failure_count": 3, "last_restart_at": T0})
    still_failing = build_status(replace(RUNNING, waha_status=WahaStatus.FAILED), failing, T1)
    connected = build_status(RUNNING, still_failing, T2)
    assert (
        (still_failing.failure_count, still_failing.last_restart_at),
        (connected.failure_count, connected.last_restart_at),
    ) == ((3, T0), (None, T0))


def test_first_status_announces_phase_and_conditions() -> None:
    assert transitions(None, build_status(RUNNING, None, T0)) == [
        Transition("Normal", Reason.PHASE_CHANGED, "Phase none → Connected."),
        Transition("Normal", Reason.WORKLOAD_AVAILABLE, "Ready is True: The WAHA pod is ready."),
        Transition("Normal", Reason.WORKING, "Connected is True: WAHA session status is WORKING."),
    ]


def test_nothing_changed_means_no_events() -> None:
    first = build_status(RUNNING, None, T0)
    assert transitions(first, build_status(RUNNING, first, T1)) == []


def test_failure_is_a_warning() -> None:
    connected = build_status(RUNNING, None, T0)
    failed = build_status(replace(RUNNING, waha_status=WahaStatus.FAILED), connected, T1)
    assert transitions(connected, failed) == [
        Transition("Warning", Reason.PHASE_CHANGED, "Phase Connected → Failed."),
        Transition("Warning", Reason.FAILED, "Connected is False: WAHA session status is FAILED."),
    ]


def test_reason_change_without_status_change_is_announced() -> None:
    starting = build_status(replace(RUNNING, waha_status=WahaStatus.STARTING), None, T0)
    scanning = build_status(replace(RUNNING, waha_status=WahaStatus.SCAN_QR_CODE), starting, T1)
    assert transitions(starting, scanning) == [
        Transition("Normal", Reason.PHASE_CHANGED, "Phase Starting → ScanQR."),
        Transition("Normal", Reason.SCAN_QR, "Connected is False: WAHA session status is SCAN_QR_CODE."),
    ]


@pytest.mark.parametrize(
    ("count", "delay"),
    [(0, 30.0), (1, 60.0), (2, 120.0), (4, 480.0), (5, 900.0), (10, 900.0), (10_000, 900.0)],
)
def test_failed_restart_delay_doubles_up_to_the_cap(count: int, delay: float) -> None:
    assert failed_restart_delay(count, 30.0, 900.0) == delay


@pytest.mark.parametrize(("count", "base", "cap"), [(-1, 30.0, 900.0), (1, -1.0, 900.0), (1, 30.0, -5.0)])
def test_failed_restart_delay_rejects_negative_input(count: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="must be ≥ 0"):
        failed_restart_delay(count, base, cap)
