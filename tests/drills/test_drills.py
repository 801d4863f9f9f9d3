"""Failure drills, small (bench/drills.py runs the same scenarios large and prints one table).

Each runs real PostgreSQL, the API in its own process and the WAHA simulator retrying as WAHA does
(delays scaled down); nothing may be lost or stored twice.
"""

from __future__ import annotations

from tests.drills import operator_drill, scenarios
from tests.drills.harness import DrillResult


def _clean(result: DrillResult) -> tuple[int, int, int, int]:
    return result.sent, result.stored, result.lost, result.duplicated


async def test_api_killed_mid_burst_loses_and_doubles_nothing() -> None:
    result = await scenarios.api_sigkill(300, scale=0.1)
    assert _clean(result) == (300, 300, 0, 0)


async def test_postgres_restarted_mid_burst_loses_nothing() -> None:
    result = await scenarios.postgres_restart(300, scale=0.1)
    assert _clean(result) == (300, 300, 0, 0)


async def test_backfill_brings_what_waha_gave_up_on_without_duplicates() -> None:
    result = await scenarios.downtime_then_backfill(40, scale=0.0001)
    assert _clean(result) == (40, 40, 0, 0)
    assert result.note == "20 failed deliveries given up by WAHA"


async def test_the_same_burst_to_two_replicas_stores_one_row_per_message() -> None:
    result = await scenarios.two_replicas(300, scale=0.1)
    assert _clean(result) == (300, 300, 0, 0)


async def test_operator_killed_mid_reconcile_converges_without_duplicate_children_or_waha_restarts() -> None:
    """Converged: four children and WAHA WORKING per session; each WAHA started once (at its boot)."""
    result = await operator_drill.operator_sigkill(20)
    assert _clean(result) == (20, 20, 0, 0)
    assert result.double_restarts == 0
    assert result.note.endswith("WAHA starts 20 (0 never started), pod rolls 0")
