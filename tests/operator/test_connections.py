"""kopf's own connection pool is bounded: every watch stream plus KOPF_REQUESTS, and still converges."""

from __future__ import annotations

import asyncio
import uuid

import kopf
import pytest

from conectafy.operator.connections import KOPF_REQUESTS, bounded_session, pool_size
from conectafy.simulator.runner import RunningSimulator
from tests.operator.kopf_harness import (
    ApiServerEmulator,
    apply_session,
    eventually,
    live,
    running_operator,
    session_body,
)
from tests.operator.steps import CHILD_RESOURCES, fast_settings

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)


@pytest.mark.parametrize(
    ("namespaces", "clusterwide", "scanning", "expected"),
    [
        (["conectafy"], False, False, 6 + KOPF_REQUESTS),  # the chart's default
        (["team-a", "team-b"], False, False, 12 + KOPF_REQUESTS),
        ([], True, True, 8 + KOPF_REQUESTS),
        (["tenant-*"], False, True, None),  # how many namespaces match is not known in advance
    ],
)
def test_the_pool_holds_every_watch_and_kopf_requests(
    namespaces: list[str], clusterwide: bool, scanning: bool, expected: int | None
) -> None:
    assert pool_size(namespaces, clusterwide=clusterwide, scanning=scanning) == expected


async def test_a_bounded_session_connects_as_kopf_would() -> None:
    info = kopf.ConnectionInfo(server="https://127.0.0.1:6443", scheme="Bearer", token="t0k3n", priority=7)
    context = bounded_session(info, 9)
    try:
        session = context.aiohttp_session
        assert (session.connector.limit if session.connector else None, context.server, context.priority) == (
            9,
            "https://127.0.0.1:6443",
            7,
        )
        assert session.headers["Authorization"] == "Bearer t0k3n"
    finally:
        await context.aiohttp_session.close()


async def test_sessions_converge_through_a_pool_barely_larger_than_the_watches(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """Cluster-wide and standalone, kopf watches 7 streams here; 2 connections are left for its patches."""
    names = [f"wa-pool-{index}" for index in range(12)]
    async with running_operator(kube, fast_settings(simulator), kopf_connections=9):
        await asyncio.gather(*(apply_session(kube, session_body(name, str(uuid.uuid4()))) for name in names))
        await eventually(
            lambda: all(live(kube, kind, f"waha-{name}") for kind in CHILD_RESOURCES for name in names),
            within=60,
        )
