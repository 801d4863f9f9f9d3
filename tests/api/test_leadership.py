"""Once-per-cluster work: two API processes' pools on one database, one advisory lock, one leader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from conectafy.api.db import create_pool
from conectafy.api.leadership import Leadership
from tests.support.kube import eventually


@pytest.fixture
async def replicas(pg_dsn: str) -> AsyncIterator[list[Leadership]]:
    """Two replicas as the database sees them: two pools (two sets of sessions), each campaigning."""
    pools = [await create_pool(pg_dsn, min_size=1, max_size=2) for _ in range(2)]
    leaders = [Leadership(pool, retry=0.05, check=0.05) for pool in pools]
    tasks = [asyncio.create_task(leader.run()) for leader in leaders]
    yield leaders
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for pool in pools:
        await pool.close()


def _leading(leaders: list[Leadership]) -> list[bool]:
    return [leader.leading.is_set() for leader in leaders]


async def test_exactly_one_replica_leads(replicas: list[Leadership]) -> None:
    def one_leads() -> None:
        assert sorted(_leading(replicas)) == [False, True]

    await eventually(one_leads)
    await asyncio.sleep(0.3)  # many campaign rounds later, still exactly one
    one_leads()


async def test_work_runs_on_the_leader_only(replicas: list[Leadership]) -> None:
    runs: list[int] = []

    def work_of(index: int) -> object:
        async def work() -> None:
            runs.append(index)
            await asyncio.Event().wait()  # a background loop: runs until cancelled

        return work

    workers = [asyncio.create_task(r.run_while_leader(work_of(i))) for i, r in enumerate(replicas)]
    try:
        await eventually(lambda: _assert_len(runs, 1))
        await asyncio.sleep(0.3)
        assert runs == [_leading(replicas).index(True)]
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _assert_len(items: list[int], expected: int) -> None:
    assert len(items) == expected


async def test_a_dead_leaders_lock_is_taken_over(replicas: list[Leadership], pg_dsn: str) -> None:
    """The lock dies with the leader's connection (a crashed pod): a replica takes it again at once."""
    await eventually(lambda: _assert_one_leader(replicas))
    conn = await asyncpg.connect(pg_dsn)
    try:
        before = await conn.fetchval(_HOLDER)
        await conn.execute("SELECT pg_terminate_backend($1)", before)

        async def new_holder() -> None:
            assert await conn.fetchval(_HOLDER) not in (None, before)
            _assert_one_leader(replicas)

        await eventually(new_holder)
    finally:
        await conn.close()


_HOLDER = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 1"


def _assert_one_leader(leaders: list[Leadership]) -> None:
    assert sorted(_leading(leaders)) == [False, True]
