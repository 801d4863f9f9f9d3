"""The per-session guard: one reconcile at a time per session, sessions side by side (fake loop time)."""

from __future__ import annotations

import asyncio

import pytest

from conectafy.operator.guard import Guards


async def _reconcile(guards: Guards, uid: str) -> None:
    async with guards.get(uid).lock:
        await asyncio.sleep(10)  # a reconcile that takes 10 s (of fake loop time)


@pytest.mark.looptime
async def test_two_paths_of_one_session_run_one_after_the_other() -> None:
    guards = Guards()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(_reconcile(guards, "uid-a"), _reconcile(guards, "uid-a"))
    assert loop.time() - start == 20


@pytest.mark.looptime
async def test_different_sessions_do_not_wait_for_each_other() -> None:
    guards = Guards()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(_reconcile(guards, "uid-a"), _reconcile(guards, "uid-b"))
    assert loop.time() - start == 10


def test_a_deleted_session_leaves_no_guard_behind() -> None:
    guards = Guards()
    guards.get("uid-a").reconciles += 1
    guards.forget("uid-a")
    assert len(guards) == 0
