"""Once per cluster: the API replica that holds a PostgreSQL advisory lock does the background work.

Every replica serves requests and follows the watches, but projecting sessions into rows, sweeping media
and retention must not run twice. The leader holds `pg_try_advisory_lock` on one pooled connection for
as long as it leads; the lock dies with that connection (a crashed or partitioned replica), and another
replica takes over within `retry` seconds. `run_while_leader` starts a task on winning and cancels it on
losing, so work never continues on a replica that might no longer be the only one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg

from conectafy.api import metrics
from conectafy.api.background import running
from conectafy.logs import get_logger

log = get_logger(__name__)

#: Two 32-bit keys: the first names the project, the second the role (distinct from migrate's lock).
LOCK_SPACE = 0x636F6E65  # "cone"
BACKGROUND_ROLE = 1
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Leadership:
    """Campaigns for one advisory lock; `leading` is set while this replica holds it."""

    def __init__(
        self, pool: asyncpg.Pool, *, role: int = BACKGROUND_ROLE, retry: float = 2.0, check: float = 1.0
    ) -> None:
        self.pool = pool
        self.role = role
        self.retry = retry
        self.check = check
        self.leading = asyncio.Event()
        self._lost = asyncio.Event()
        self._lost.set()

    async def run(self) -> None:
        """Forever: try the lock; while held, check the connection every `check` seconds."""
        while True:
            try:
                await self._campaign()
            except _DB_ERRORS as error:
                log.warning("leadership lost or unavailable", error=str(error))
            finally:
                self._step_down()
            await asyncio.sleep(self.retry)

    async def _campaign(self) -> None:
        async with self.pool.acquire() as conn:
            held = await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_SPACE, self.role)
            if not held:
                return
            try:
                self._lost.clear()
                self.leading.set()
                metrics.BACKGROUND_LEADER.set(1)
                log.info("leading background work", role=self.role)
                while True:  # a dead connection raises here, and the lock died with it
                    await conn.fetchval("SELECT 1")
                    await asyncio.sleep(self.check)
            finally:
                with contextlib.suppress(*_DB_ERRORS):
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_SPACE, self.role)

    def _step_down(self) -> None:
        if self.leading.is_set():
            log.info("stepped down from background work", role=self.role)
        self.leading.clear()
        self._lost.set()
        metrics.BACKGROUND_LEADER.set(0)

    async def run_while_leader(self, work: Callable[[], Awaitable[None]]) -> None:
        """Forever: wait to lead, run `work` until leadership is lost (then it is cancelled).

        Work that ends on its own is started again while still leading (after `retry` if it failed).
        """
        while True:
            await self.leading.wait()
            task = asyncio.ensure_future(work())
            lost = asyncio.ensure_future(self._lost.wait())
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (task, lost):
                pending.cancel()
            outcomes = await asyncio.gather(task, lost, return_exceptions=True)
            if isinstance(outcomes[0], Exception):
                log.error("background work failed", error=repr(outcomes[0]))
            if self.leading.is_set():
                await asyncio.sleep(self.retry)  # work that ended while leading restarts, not in a spin


@contextlib.asynccontextmanager
async def leader_election(app: Any) -> AsyncIterator[None]:
    """App background task (first in the list): `app.state.leadership`, campaigning until shutdown."""
    leadership = Leadership(app.state.pool, retry=app.state.settings.leader_retry_seconds)
    app.state.leadership = leadership
    async with running(leadership.run(), name="conectafy-leader-election"):
        yield


def leadership_of(app: Any) -> Leadership:
    """The app's leadership; the once-per-cluster tasks need `leader_election` to run before them."""
    leadership: Leadership | None = getattr(app.state, "leadership", None)
    if leadership is None:
        raise RuntimeError("once-per-cluster work needs the leader_election background task before it")
    return leadership
