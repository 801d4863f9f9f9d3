"""The session state machine of one simulated WAHA number (CONTRACT.md §5).

STARTING -> SCAN_QR_CODE (QR rotates) -> scan -> STARTING -> WORKING; unlink -> FAILED; logout of a
running session -> SCAN_QR_CODE; stop -> STOPPED; restart with stored creds -> WORKING, no QR.
Every status change (and every QR rotation) is announced through `on_status`, like WAHA's
`session.status` webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.qr import new_qr_value
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus

StatusListener = Callable[["SessionMachine"], None]
RUNNING = frozenset(
    {
        WahaStatus.STARTING,
        WahaStatus.SCAN_QR_CODE,
        WahaStatus.WORKING,
        WahaStatus.FAILED,
        WahaStatus.PASSKEY_REQUIRED,
        WahaStatus.PASSKEY_CONFIRMATION_REQUIRED,
    }
)


def now_ms() -> int:
    return int(time.time() * 1000)


class SessionMachine:
    """The one `default` session of a WAHA Core container, with WAHA's transitions."""

    def __init__(self, config: SimulatorConfig, on_status: StatusListener) -> None:
        self.settings = config
        self.name = DEFAULT_SESSION
        self.exists = True
        self.status = WahaStatus.STOPPED
        self.config: dict[str, Any] | None = None
        self.statuses: list[dict[str, Any]] = []
        self.me: dict[str, Any] | None = self._account() if config.paired else None
        self.has_creds = config.paired
        #: The phone removed this device: the stored creds are rejected until a logout drops them.
        self.unlinked = False
        self.ever_started = False
        #: Times the session was started: at boot, by start, restart or a config update, by a logout of
        #: a running session. Not a WAHA field; tests read it to count restarts (the failure drills).
        self.starts = 0
        self.qr_value: str | None = None
        self.pairing_code: str | None = None
        self._on_status = on_status
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _account(self, phone: str | None = None, push_name: str | None = None) -> dict[str, Any]:
        """`me` of the linked account (2026 adds the `lid`)."""
        return {
            "id": f"{phone or self.settings.phone_number}@c.us",
            "pushName": push_name or self.settings.push_name,
            "lid": self.settings.lid,
        }

    # --- reads -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.exists and self.status in RUNNING

    @property
    def metadata(self) -> dict[str, Any] | None:
        meta = (self.config or {}).get("metadata")
        return meta if isinstance(meta, dict) and meta else None

    async def wait_for(self, expected: set[WahaStatus], wait_seconds: float) -> WahaStatus:
        """Wait like WAHA's status guard: return the status once expected, or the last one on timeout."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while self.status not in expected:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return self.status

    # --- transitions -----------------------------------------------------------------------
    def _set(self, status: WahaStatus) -> None:
        self.status = status
        self.statuses = [*self.statuses, {"status": status.value, "timestamp": now_ms()}][-3:]
        self._on_status(self)
        self._changed.set()
        self._changed = asyncio.Event()

    def _run(self, coro: Any) -> None:
        self._cancel()
        self._task = asyncio.get_running_loop().create_task(coro)

    def _cancel(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None

    def start(self) -> None:
        """STARTING, then WORKING from stored creds or SCAN_QR_CODE with a fresh QR."""
        self.ever_started = True
        self.starts += 1
        self._set(WahaStatus.STARTING)
        self._run(self._boot())

    async def _boot(self) -> None:
        await asyncio.sleep(self.settings.startup_seconds)
        if self.unlinked:  # WhatsApp refuses the stale creds (401): FAILED again, as on a real WAHA
            self._set(WahaStatus.FAILED)
            return
        if self.has_creds:
            self._set(WahaStatus.WORKING)
            return
        self._show_qr()
        await self._qr_loop()

    def _show_qr(self) -> None:
        self.qr_value = new_qr_value()
        self._set(WahaStatus.SCAN_QR_CODE)

    async def _qr_loop(self) -> None:
        """Replace the QR every `qr_rotation_seconds`, re-announcing SCAN_QR_CODE each time."""
        while True:
            await asyncio.sleep(self.settings.qr_rotation_seconds)
            self._show_qr()

    def rotate_qr(self) -> None:
        """Rotate the QR now (what WAHA does on its 60 s cadence) and restart the cadence."""
        self._cancel()
        self._show_qr()
        self._run(self._qr_loop())

    def stop(self) -> None:
        self._cancel()
        self.qr_value = None
        if self.status != WahaStatus.STOPPED:
            self._set(WahaStatus.STOPPED)

    def restart(self) -> None:
        self.stop()
        self.start()

    def logout(self) -> None:
        """Drop the creds; a running session (FAILED included) restarts into SCAN_QR_CODE."""
        was_running = self.running
        self.has_creds = False
        self.unlinked = False
        self.me = None
        if was_running:
            self.restart()

    def delete(self) -> None:
        self.stop()
        self.has_creds = False
        self.unlinked = False
        self.me = None
        self.config = None
        self.exists = False

    def create(self, config: dict[str, Any] | None) -> None:
        self.exists = True
        self.config = config
        self.statuses = []
        self.start()

    def scan(self, phone: str, push_name: str) -> None:
        """The phone scanned the QR (or entered the pairing code): WhatsApp asks for a restart."""
        self._cancel()
        self.qr_value = None
        self.has_creds = True
        self.me = self._account(phone, push_name)
        self._set(WahaStatus.STARTING)
        self._run(self._boot())

    def unlink(self) -> None:
        """The phone removed this linked device: FAILED at once; `me` stays readable, and a restart
        fails again (the stale creds are refused) until a logout drops them."""
        self._cancel()
        self.unlinked = True
        self._set(WahaStatus.FAILED)

    def fail(self) -> None:
        """An engine failure that keeps the creds: restart brings WORKING back without a QR."""
        self._cancel()
        self._set(WahaStatus.FAILED)

    def disconnect(self) -> None:
        """WhatsApp unreachable: WAHA sits in STARTING (and says so again on each retry)."""
        self._cancel()
        self._set(WahaStatus.STARTING)

    def reconnect(self) -> None:
        self._cancel()
        self._run(self._boot())

    def passkey(self, status: WahaStatus) -> None:
        self._cancel()
        self._set(status)

    def close(self) -> None:
        self._cancel()
