"""The dashboard renders phases, so it must know exactly the phases the shared core defines."""

from __future__ import annotations

import re
from pathlib import Path

from conectafy.session import Phase

STATUS_TS = Path(__file__).parents[2] / "web" / "src" / "lib" / "status.ts"


def test_the_dashboard_has_one_badge_per_phase_of_the_core() -> None:
    table = STATUS_TS.read_text().split("BADGE_OF_PHASE", 1)[1].split("};", 1)[0]
    assert re.findall(r"^\s+(\w+):", table, re.MULTILINE) == [phase.value for phase in Phase]


def test_the_dashboard_maps_no_waha_status_to_a_badge() -> None:
    """WAHA's statuses appear only in the passkey wording, never in the badge logic."""
    badge_logic = STATUS_TS.read_text().split("export function sessionBadge", 1)[1]
    assert re.findall(r"SCAN_QR_CODE|WORKING|STARTING|FAILED|STOPPED|PASSKEY", badge_logic) == []
