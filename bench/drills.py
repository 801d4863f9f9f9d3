"""Failure drills at bench size: one table of scenario, sent, stored, lost, duplicated, double restarts,
recovery time.

    python bench/drills.py [--sigkill-messages 10000] [--messages 2000] [--sessions 200] [--scale 1.0]
                           [--only api-sigkill ...]

Each drill runs an embedded PostgreSQL, the real API in its own process (tests/drills/api_process.py)
and the WAHA simulator delivering webhooks with WAHA's retry policy as the operator configures it
(exponential, 2 s, 10 attempts). `--scale` multiplies every retry delay (1.0 = WAHA's real timing).
The SIGKILL drill runs the issue's 10,000 messages (`--sigkill-messages`); the others `--messages`, since
the simulator delivers one URL's events one at a time and 10,000 of each would outlast a bounded run.
The downtime drill must outlast every retry of every missed delivery, which WAHA's simulator runs one
after another per URL, so it uses `--messages / 10` messages and retry delays x 0.00005.
The operator drill kills `conectafy operator` while it reconciles `--sessions` sessions on kmock, each
with its simulated WAHA, and counts WAHA restarts beyond each session's first start.
The scenarios are tests/drills/scenarios.py and operator_drill.py; tests/drills/test_drills.py runs them
small in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # appended: the standard library's `operator` stays first

from tests.drills.harness import DrillResult  # noqa: E402
from tests.drills.operator_drill import operator_sigkill  # noqa: E402
from tests.drills.scenarios import DRILLS  # noqa: E402

DOWNTIME_SCALE = 0.00005


def table(results: list[DrillResult]) -> str:
    header = ("scenario", "sent", "stored", "lost", "duplicated", "double restarts", "recovery s", "note")
    rows = [header] + [
        (r.scenario, str(r.sent), str(r.stored), str(r.lost), str(r.duplicated),
         "-" if r.double_restarts is None else str(r.double_restarts), f"{r.recovery_seconds:.1f}", r.note)
        for r in results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


async def _one(name: str, args: argparse.Namespace) -> DrillResult:
    if name == "operator-sigkill":
        return await operator_sigkill(args.sessions, within=max(300.0, 3.0 * args.sessions))
    if name == "downtime-backfill":
        return await DRILLS[name](max(args.messages // 10, 2), scale=DOWNTIME_SCALE)
    if name == "api-sigkill":
        return await DRILLS[name](args.sigkill_messages, scale=args.scale)
    return await DRILLS[name](args.messages, scale=args.scale)


async def run(args: argparse.Namespace) -> list[DrillResult]:
    """Every drill in turn; each result is printed as soon as it is known (a later failure keeps it)."""
    results = []
    for name in [*DRILLS, "operator-sigkill"]:
        if args.only and name not in args.only:
            continue
        started = time.monotonic()
        try:
            result = await _one(name, args)
        except TimeoutError as error:
            result = DrillResult(name, 0, 0, 0, 0, round(time.monotonic() - started, 1), f"FAILED: {error}")
        results.append(result)
        took = time.monotonic() - started
        print(f"{name}: done in {took:.0f} s, load {os.getloadavg()[0]:.1f}: {result}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sigkill-messages", type=int, default=10_000, help="messages of the SIGKILL drill")
    parser.add_argument("--messages", type=int, default=2_000, help="messages of the other drills")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies WAHA's retry delays")
    parser.add_argument("--sessions", type=int, default=200, help="sessions of the operator drill")
    parser.add_argument("--only", nargs="*", default=[], choices=sorted([*DRILLS, "operator-sigkill"]))
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    results = asyncio.run(run(args))
    print(table(results))


if __name__ == "__main__":
    main()
