"""A session's phase: the ONE mapping from WAHA's status, and what each phase means to a user (pure).

The operator computes `.status.phase` with `phase_for`; the API copies that phase into its rows and
live events and derives the coarse `status` with `STATUS_OF_PHASE`; the dashboard renders the phase it
receives. Nobody else maps WAHA statuses. Phone numbers are E.164 with a `+` everywhere (`e164`).
"""

from __future__ import annotations

import re
from typing import Literal

from conectafy.session import Phase
from conectafy.waha.status import WahaStatus

#: The coarse status of a session row (`whatsapp_sessions.status`), kept for API clients that filter on it.
SessionStatus = Literal["disconnected", "connecting", "connected", "error"]

PHASE_OF_WAHA: dict[WahaStatus, Phase] = {
    WahaStatus.STOPPED: Phase.STOPPED,
    WahaStatus.STARTING: Phase.STARTING,
    WahaStatus.SCAN_QR_CODE: Phase.SCAN_QR,
    WahaStatus.PASSKEY_REQUIRED: Phase.SCAN_QR,  # like a QR: waiting for the user's phone
    WahaStatus.PASSKEY_CONFIRMATION_REQUIRED: Phase.SCAN_QR,
    WahaStatus.WORKING: Phase.CONNECTED,
    WahaStatus.FAILED: Phase.FAILED,
}

STATUS_OF_PHASE: dict[Phase, SessionStatus] = {
    Phase.PENDING: "connecting",
    Phase.STARTING: "connecting",
    Phase.SCAN_QR: "connecting",
    Phase.CONNECTED: "connected",
    Phase.FAILED: "error",
    Phase.STOPPED: "disconnected",
}

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def phase_for(waha_status: WahaStatus | None, *, paused: bool, workload_available: bool) -> Phase:
    """Paused wins; without an available workload WAHA's word is stale; then WAHA's status decides."""
    if paused:
        return Phase.STOPPED
    if not workload_available:
        return Phase.PENDING if waha_status is None else Phase.STARTING
    if waha_status is None:
        return Phase.STARTING  # the pod is ready but WAHA did not answer yet
    return PHASE_OF_WAHA[waha_status]


def e164(number: str | None) -> str | None:
    """`15550001111`, `+15550001111` or `15550001111@c.us` → `+15550001111`; None for anything else."""
    if not number:
        return None
    user, _, server = number.partition("@")
    user = user.split(":", 1)[0]  # multi-device ids may carry ":<device>"
    if server and server not in ("c.us", "s.whatsapp.net"):
        return None
    candidate = user if user.startswith("+") else f"+{user}"
    return candidate if _E164.fullmatch(candidate) else None
