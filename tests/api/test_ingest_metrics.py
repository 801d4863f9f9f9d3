"""Ingest lag: WAHA's message timestamp → row committed, observed once per new message."""

from __future__ import annotations

import time

import asyncpg
import httpx
import pytest

from conectafy.api import metrics
from conectafy.api.store.sessions import SessionRow
from tests.api.dataplane import MemoryDirectory, deliver, make_session, make_user_id, retimed

TEXT = "webhook-2026-message-text.json"


@pytest.fixture
async def session(db_pool: asyncpg.Pool, directory: MemoryDirectory) -> SessionRow:
    return await make_session(db_pool, directory, user_id=await make_user_id(db_pool))


def _lag() -> tuple[float, float]:
    count = metrics.REGISTRY.get_sample_value("conectafy_api_ingest_lag_seconds_count") or 0.0
    total = metrics.REGISTRY.get_sample_value("conectafy_api_ingest_lag_seconds_sum") or 0.0
    return count, total


async def test_a_new_message_observes_its_lag_and_a_duplicate_does_not(
    client: httpx.AsyncClient, session: SessionRow
) -> None:
    sent = int(time.time()) - 30  # WAHA saw the message 30 s ago
    body = retimed(TEXT, event_id="evt_lag_0001", message_id="false_1@c.us_LAG0001", timestamp=sent)
    count, total = _lag()
    answers = [(await deliver(client, session.session_name, body)).json()["outcome"] for _ in range(2)]
    after_count, after_total = _lag()
    assert (answers, after_count - count) == (["stored", "duplicate"], 1)
    assert 30 <= after_total - total < 60
