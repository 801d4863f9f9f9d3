"""The simulated session's transitions (CONTRACT.md §5), each announced like `session.status`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from conectafy.simulator.state import SessionMachine
from conectafy.waha.status import WahaStatus as S
from tests.simulator.support import eventually, fast_config

ME = {"id": "15550001111@c.us", "pushName": "Acme Support", "lid": "123456789012345@lid"}


class Recorder:
    """Collects every announced status (and the QR shown at that moment)."""

    def __init__(self) -> None:
        self.statuses: list[S] = []
        self.qrs: list[str | None] = []

    def __call__(self, session: SessionMachine) -> None:
        self.statuses.append(session.status)
        self.qrs.append(session.qr_value)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def session(recorder: Recorder) -> AsyncIterator[SessionMachine]:
    machine = SessionMachine(fast_config(qr_rotation_seconds=3600), recorder)
    yield machine
    machine.close()


async def _until(session: SessionMachine, status: S) -> None:
    assert await session.wait_for({status}, 5) == status


async def _working(session: SessionMachine) -> None:
    session.start()
    await _until(session, S.SCAN_QR_CODE)
    session.scan("15550001111", "Acme Support")
    await _until(session, S.WORKING)


async def test_start_without_creds_shows_a_qr(session: SessionMachine, recorder: Recorder) -> None:
    session.start()
    await _until(session, S.SCAN_QR_CODE)
    assert recorder.statuses == [S.STARTING, S.SCAN_QR_CODE]
    assert session.qr_value is not None and session.qr_value.startswith("2@")


async def test_qr_rotation_reannounces_scan_qr_code_with_a_new_qr(recorder: Recorder) -> None:
    machine = SessionMachine(fast_config(qr_rotation_seconds=0.01), recorder)
    machine.start()
    await eventually(lambda: len(recorder.statuses) >= 4)
    machine.close()
    assert recorder.statuses[:4] == [S.STARTING, S.SCAN_QR_CODE, S.SCAN_QR_CODE, S.SCAN_QR_CODE]
    assert len(set(recorder.qrs[1:4])) == 3


async def test_scan_links_the_account_through_a_restart(session: SessionMachine, recorder: Recorder) -> None:
    await _working(session)
    assert recorder.statuses == [S.STARTING, S.SCAN_QR_CODE, S.STARTING, S.WORKING]
    assert (session.me, session.qr_value, session.has_creds) == (ME, None, True)


async def test_restart_with_creds_skips_the_qr(session: SessionMachine, recorder: Recorder) -> None:
    await _working(session)
    session.restart()
    await _until(session, S.WORKING)
    assert recorder.statuses[4:] == [S.STOPPED, S.STARTING, S.WORKING]


async def test_stop_clears_the_qr_and_is_idempotent(session: SessionMachine, recorder: Recorder) -> None:
    session.start()
    await _until(session, S.SCAN_QR_CODE)
    session.stop()
    session.stop()
    assert (recorder.statuses, session.qr_value) == ([S.STARTING, S.SCAN_QR_CODE, S.STOPPED], None)


async def test_unlink_fails_and_logout_asks_for_a_new_qr(session: SessionMachine, recorder: Recorder) -> None:
    await _working(session)
    session.unlink()
    assert (session.status, session.me) == (S.FAILED, ME)
    session.logout()
    await _until(session, S.SCAN_QR_CODE)
    assert recorder.statuses[4:] == [S.FAILED, S.STOPPED, S.STARTING, S.SCAN_QR_CODE]
    assert (session.me, session.has_creds) == (None, False)


async def test_restart_after_unlink_fails_again_until_logout(session: SessionMachine) -> None:
    """Restarting never recovers an unlinked device: WhatsApp refuses the stale creds."""
    await _working(session)
    session.unlink()
    session.restart()
    await _until(session, S.STARTING)
    await _until(session, S.FAILED)
    session.logout()
    await _until(session, S.SCAN_QR_CODE)


async def test_engine_failure_keeps_creds(session: SessionMachine) -> None:
    await _working(session)
    session.fail()
    assert session.status == S.FAILED
    session.restart()
    await _until(session, S.WORKING)


async def test_logout_of_a_stopped_session_stays_stopped(session: SessionMachine, recorder: Recorder) -> None:
    await _working(session)
    session.stop()
    session.logout()
    assert (session.status, session.me, session.has_creds) == (S.STOPPED, None, False)
    assert recorder.statuses[-1] == S.STOPPED


async def test_disconnect_waits_in_starting_until_reconnected(
    session: SessionMachine, recorder: Recorder
) -> None:
    await _working(session)
    session.disconnect()
    assert session.status == S.STARTING
    session.reconnect()
    await _until(session, S.WORKING)
    assert recorder.statuses[4:] == [S.STARTING, S.WORKING]


@pytest.mark.parametrize("passkey", [S.PASSKEY_REQUIRED, S.PASSKEY_CONFIRMATION_REQUIRED])
async def test_passkey_state_is_confirmed_by_the_phone(session: SessionMachine, passkey: S) -> None:
    session.start()
    await _until(session, S.SCAN_QR_CODE)
    session.passkey(passkey)
    assert session.status == passkey
    session.scan("15550001111", "Acme Support")
    await _until(session, S.WORKING)


async def test_delete_forgets_everything(session: SessionMachine) -> None:
    await _working(session)
    session.delete()
    assert (session.exists, session.status, session.me, session.config, session.has_creds) == (
        False,
        S.STOPPED,
        None,
        None,
        False,
    )


async def test_statuses_keep_the_last_three_with_timestamps(session: SessionMachine) -> None:
    await _working(session)
    assert [point["status"] for point in session.statuses] == ["SCAN_QR_CODE", "STARTING", "WORKING"]
    stamps = [point["timestamp"] for point in session.statuses]
    assert stamps == sorted(stamps) and all(isinstance(t, int) and t > 1_700_000_000_000 for t in stamps)


async def test_status_guard_returns_the_current_status_when_the_wanted_one_never_comes(
    session: SessionMachine,
) -> None:
    assert await session.wait_for({S.WORKING}, 0.01) == S.STOPPED


async def test_paired_boot_comes_up_working_without_a_qr(recorder: Recorder) -> None:
    machine = SessionMachine(fast_config(paired=True), recorder)
    machine.start()
    await _until(machine, S.WORKING)
    machine.close()
    assert (recorder.statuses, machine.me) == ([S.STARTING, S.WORKING], ME)


async def test_starts_counts_every_start_but_not_the_login_after_a_scan(session: SessionMachine) -> None:
    await _working(session)  # start, then the scan's own STARTING → WORKING
    assert session.starts == 1
    session.restart()
    await _until(session, S.WORKING)
    session.logout()
    assert session.starts == 3
