"""The drills themselves (see harness): each breaks one thing mid-burst and reports what was stored.

`recovery_seconds` runs from the moment the fault ends (the API or PostgreSQL is back, the session
reconnected) until every message is stored.
"""

from __future__ import annotations

import asyncio
import time

from tests.drills.harness import DrillResult, Rig, patience, rig, until


async def _half_stored(r: Rig) -> bool:
    return (await r.counts())[1] >= len(r.sent) // 2


async def api_sigkill(messages: int, *, scale: float) -> DrillResult:
    """SIGKILL the API half-way through the burst, start it again; WAHA's retries bring the rest."""
    async with rig(scale=scale) as r:
        r.inbound(messages)
        await until(lambda: _half_stored(r), patience(messages), "half the burst stored")
        r.apis[0].kill()
        await asyncio.sleep(1.0)
        await r.apis[0].start()
        recovery = await until(r.all_stored, patience(messages), "every message stored after the restart")
        return await r.result("API SIGKILLed mid-burst, restarted", recovery)


async def postgres_restart(messages: int, *, scale: float) -> DrillResult:
    """Stop PostgreSQL half-way through the burst and start it again: /ready follows, nothing is lost."""
    async with rig(scale=scale) as r:
        api = r.apis[0]
        r.inbound(messages)
        await until(lambda: _half_stored(r), patience(messages), "half the burst stored")
        await r.postgres.stop()
        await until(lambda: _not(api.ready), 30, "/ready false while PostgreSQL is down")
        await asyncio.sleep(1.0)
        await r.postgres.start()
        started = time.monotonic()
        ready = await until(api.ready, 60, "/ready true again")
        await until(r.all_stored, patience(messages), "every message stored after the restart")
        note = f"/ready: true → false → true ({ready:.1f} s after PostgreSQL was back)"
        return await r.result("PostgreSQL restarted mid-burst", _since(started), note)


async def _not(probe: object) -> bool:
    return not await probe()  # type: ignore[operator]


async def downtime_then_backfill(messages: int, *, scale: float) -> DrillResult:
    """The API is down until WAHA has given up every delivery; then the session reconnects and the
    API's backfill reads the missed messages from WAHA's chats/messages endpoints."""
    async with rig(scale=scale) as r:
        api = r.apis[0]
        r.inbound(messages // 2)
        await until(r.all_stored, patience(messages), "the first half stored")
        api.stop()
        r.inbound(messages - messages // 2, start=messages // 2)
        await r.waha.sim.sender.join()  # every retry of every missed delivery is used up
        given_up = _given_up(r)
        await api.start()
        r.waha.sim.session.disconnect()
        r.waha.sim.session.reconnect()  # session.status WORKING → the API backfills
        started = time.monotonic()
        await until(r.all_stored, patience(messages), "backfill stored every missed message")
        note = f"{given_up} failed deliveries given up by WAHA"
        return await r.result("API down past the retry window, session reconnects", _since(started), note)


def _given_up(r: Rig) -> int:
    """Message deliveries WAHA stopped retrying without ever getting a 2xx."""
    log = [d for d in r.waha.sim.sender.log if d.event == "message.any"]
    return len({d.event_id for d in log} - {d.event_id for d in log if d.delivered})


def _since(started: float) -> float:
    return time.monotonic() - started


async def two_replicas(messages: int, *, scale: float) -> DrillResult:
    """WAHA delivers every event to two webhooks, each an API replica, concurrently: one row each."""
    async with rig(scale=scale, replicas=2) as r:
        started = time.monotonic()
        r.inbound(messages)
        await until(r.all_stored, patience(messages), "every message stored")
        await r.waha.sim.sender.join()
        return await r.result("same burst to two API replicas at once", _since(started), "no fault")


DRILLS = {
    "api-sigkill": api_sigkill,
    "postgres-restart": postgres_restart,
    "downtime-backfill": downtime_then_backfill,
    "two-replicas": two_replicas,
}
