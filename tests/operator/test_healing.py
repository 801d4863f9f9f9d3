"""Self-healing decisions (pure): every rule restarts when it should and stops when it must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conectafy.operator.healing import (
    Action,
    Cause,
    Decision,
    Health,
    Policy,
    annotate,
    carried,
    decide,
    next_state,
)
from conectafy.session import Condition, HealingHold, Phase, WhatsAppSessionStatus
from conectafy.waha.status import WahaStatus

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
POLICY = Policy(
    stuck_starting=timedelta(minutes=10),
    stuck_scan_qr=timedelta(minutes=30),
    zombie_poll_failures=3,
    unlinked_after_restarts=1,
    storm_limit=3,
    storm_window=timedelta(hours=1),
)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def status(phase: Phase = Phase.STARTING, **fields: Any) -> WhatsAppSessionStatus:
    return WhatsAppSessionStatus(phase=phase, **fields)


def health(
    waha: WahaStatus | None,
    previous: WhatsAppSessionStatus | None,
    *,
    linked: bool = False,
    due: bool = True,
    generation: int = 1,
    restarted_at: str | None = None,
) -> Health:
    return Health(NOW, generation, restarted_at, waha, linked, due, previous)


STORM = [ago(50), ago(30), ago(10)]  # three restarts within the hour: the limit
EARLY_STORM = [ago(58), ago(50), ago(40)]  # the same, the last one longer ago than the QR threshold


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        # FAILED: restart when the backoff passed; wait otherwise
        (health(WahaStatus.FAILED, status(Phase.FAILED)), (Action.RESTART_SESSION, Cause.FAILED)),
        (health(WahaStatus.FAILED, status(Phase.FAILED), due=False), (Action.NONE, None)),
        # FAILED again after a restart with a linked phone: unlinked → log out (never restart again)
        (
            health(WahaStatus.FAILED, status(Phase.FAILED, failure_count=1), linked=True),
            (Action.LOGOUT, Cause.DEVICE_UNLINKED),
        ),
        # ...but without a linked phone (QR timeouts) it is an ordinary FAILED
        (
            health(WahaStatus.FAILED, status(Phase.FAILED, failure_count=1)),
            (Action.RESTART_SESSION, Cause.FAILED),
        ),
        # stuck STARTING
        (
            health(WahaStatus.STARTING, status(phase_since=ago(11))),
            (Action.RESTART_SESSION, Cause.STUCK_STARTING),
        ),
        (health(WahaStatus.STARTING, status(phase_since=ago(9))), (Action.NONE, None)),
        # a healing restart 5 minutes ago starts the clock again
        (
            health(WahaStatus.STARTING, status(phase_since=ago(30), restart_times=[ago(5)])),
            (Action.NONE, None),
        ),
        # stuck SCAN_QR_CODE only for a session that was paired before (and not unlinked)
        (
            health(
                WahaStatus.SCAN_QR_CODE, status(Phase.SCAN_QR, phase_since=ago(31), last_connected_at=ago(90))
            ),
            (Action.RESTART_SESSION, Cause.STUCK_SCAN_QR),
        ),
        (health(WahaStatus.SCAN_QR_CODE, status(Phase.SCAN_QR, phase_since=ago(300))), (Action.NONE, None)),
        (
            health(
                WahaStatus.SCAN_QR_CODE,
                status(
                    Phase.SCAN_QR,
                    phase_since=ago(300),
                    last_connected_at=ago(400),
                    device_unlinked_at=ago(300),
                ),
            ),
            (Action.NONE, None),
        ),
        # zombie: the third failed poll in a row rolls the pod
        (health(None, status(waha_poll_failures=2)), (Action.RESTART_POD, Cause.ZOMBIE)),
        (health(None, status(waha_poll_failures=1)), (Action.NONE, None)),
        # a healthy session is left alone
        (health(WahaStatus.WORKING, status(Phase.CONNECTED, phase_since=ago(600))), (Action.NONE, None)),
    ],
)
def test_decision(observed: Health, expected: tuple[Action, Cause | None]) -> None:
    decision = decide(observed, POLICY)
    assert (decision.action, decision.cause) == expected


@pytest.mark.parametrize(
    "observed",
    [
        health(WahaStatus.FAILED, status(Phase.FAILED, restart_times=STORM)),
        health(WahaStatus.STARTING, status(phase_since=ago(120), restart_times=STORM)),
        health(
            WahaStatus.SCAN_QR_CODE,
            status(
                Phase.SCAN_QR, phase_since=ago(120), last_connected_at=ago(200), restart_times=EARLY_STORM
            ),
        ),
        health(None, status(waha_poll_failures=5, restart_times=STORM)),
    ],
    ids=["failed", "stuck-starting", "stuck-scan-qr", "zombie"],
)
def test_every_restart_rule_stops_at_the_storm_limit(observed: Health) -> None:
    assert decide(observed, POLICY).action is Action.HOLD


def test_restarts_older_than_the_window_do_not_count() -> None:
    old = [ago(200), ago(150), ago(61)]
    observed = health(WahaStatus.FAILED, status(Phase.FAILED, restart_times=old))
    assert decide(observed, POLICY).action is Action.RESTART_SESSION


HOLD = HealingHold(reason="RestartStorm", since=ago(5), generation=1, restarted_at=None)


def test_a_hold_means_no_restart_while_nobody_changes_the_session() -> None:
    observed = health(WahaStatus.FAILED, status(Phase.FAILED, healing_hold=HOLD, restart_times=STORM))
    assert decide(observed, POLICY) == Decision(Action.NONE)


@pytest.mark.parametrize(
    "change", [{"generation": 2}, {"restarted_at": "2026-12-03T12:00:00Z"}], ids=["spec", "restartedAt"]
)
def test_a_hold_is_lifted_by_a_spec_or_restarted_at_change(change: dict[str, Any]) -> None:
    observed = health(
        WahaStatus.FAILED, status(Phase.FAILED, healing_hold=HOLD, restart_times=STORM), **change
    )
    decision = decide(observed, POLICY)
    state = next_state(observed, decision, POLICY)
    assert (decision.action, state.hold, state.restart_times) == (Action.RESTART_SESSION, None, [NOW])


def test_hold_state_records_the_generation_and_annotation_it_waits_on() -> None:
    observed = health(
        WahaStatus.FAILED, status(Phase.FAILED, restart_times=STORM), generation=4, restarted_at="x"
    )
    state = next_state(observed, decide(observed, POLICY), POLICY)
    assert state.hold == HealingHold(reason="RestartStorm", since=NOW, generation=4, restarted_at="x")
    assert state.restart_times == STORM  # a hold is not a restart


def test_poll_failures_count_up_and_reset_when_waha_answers_or_the_pod_rolls() -> None:
    failing = health(None, status(waha_poll_failures=1))
    assert next_state(failing, decide(failing, POLICY), POLICY).waha_poll_failures == 2
    rolled = health(None, status(waha_poll_failures=2))
    assert next_state(rolled, decide(rolled, POLICY), POLICY).waha_poll_failures == 0
    answered = health(WahaStatus.STARTING, status(waha_poll_failures=2, phase_since=NOW))
    assert next_state(answered, decide(answered, POLICY), POLICY).waha_poll_failures == 0


def test_carried_state_keeps_the_memory_but_drops_a_lifted_hold() -> None:
    previous = status(Phase.FAILED, healing_hold=HOLD, restart_times=STORM, waha_poll_failures=1)
    assert carried(previous, 1, None).hold == HOLD
    assert (carried(previous, 2, None).hold, carried(previous, 2, None).restart_times) == (None, [])


def _condition(kind: str, value: str, reason: str) -> Condition:
    return Condition(type=kind, status=value, reason=reason, message="", last_transition_time=ago(1))  # type: ignore[arg-type]


def test_annotate_shows_device_unlinked_on_the_connected_condition() -> None:
    built = status(Phase.SCAN_QR, conditions=[_condition("Connected", "False", "ScanQR")])
    state = next_state(
        health(WahaStatus.FAILED, status(Phase.FAILED, failure_count=1), linked=True),
        Decision(Action.LOGOUT, Cause.DEVICE_UNLINKED),
        POLICY,
    )
    result = annotate(built, status(Phase.FAILED, phase_since=ago(3)), state, NOW)
    connected = result.conditions[0]
    assert (connected.reason, result.device_unlinked_at, result.phase_since) == ("DeviceUnlinked", NOW, NOW)


def test_annotate_clears_device_unlinked_once_connected_again() -> None:
    built = status(Phase.CONNECTED, conditions=[_condition("Connected", "True", "Working")])
    state = carried(status(Phase.SCAN_QR, device_unlinked_at=ago(30)), 1, None)
    result = annotate(built, status(Phase.SCAN_QR, phase_since=ago(20)), state, NOW)
    assert (result.device_unlinked_at, result.conditions[0].reason) == (None, "Working")


def test_annotate_sets_degraded_while_held_and_resumed_after() -> None:
    held = annotate(status(), status(phase_since=ago(3)), carried(status(healing_hold=HOLD), 1, None), NOW)
    degraded = [(c.type, c.status, c.reason) for c in held.conditions]
    assert degraded == [("Degraded", "True", "RestartStorm")]
    resumed = annotate(status(), held, carried(held, 2, None), NOW)
    assert [(c.type, c.status, c.reason) for c in resumed.conditions] == [
        ("Degraded", "False", "HealingResumed")
    ]


def test_phase_since_stays_while_the_phase_does() -> None:
    previous = status(Phase.STARTING, phase_since=ago(7))
    assert annotate(status(Phase.STARTING), previous, carried(previous, 1, None), NOW).phase_since == ago(7)
