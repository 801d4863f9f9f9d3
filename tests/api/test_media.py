"""Media: copied to a real S3-compatible server (moto on 127.0.0.1) after the message commits, retried by
the sweeper when WAHA fails, and served through the API from S3 or from the session's WAHA."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from conectafy.api import metrics
from conectafy.api.services.media_copy import MediaCopier
from conectafy.api.store.sessions import SessionRow
from conectafy.settings import ApiSettings
from conectafy.simulator import RunningSimulator
from tests.api.conftest import UserCredentials, UserFactory
from tests.api.dataplane import MemoryDirectory, deliver, envelope_bytes, make_session
from tests.api.s3 import read_object, s3_url, with_new_bucket  # noqa: F401 - s3_url is a fixture
from tests.waha.simulated_media import SIM_KEY, inbound_media, media_bytes, paired_simulator


@pytest.fixture
async def api_settings(api_settings: ApiSettings, s3_url: str) -> ApiSettings:  # noqa: F811 - s3_url
    """The API with S3 media storage on: a fresh bucket per test."""
    return await with_new_bucket(api_settings, s3_url, media_copy_max_attempts=2)


@pytest.fixture
def copier(
    app: FastAPI, db_pool: asyncpg.Pool, directory: MemoryDirectory, api_settings: ApiSettings
) -> MediaCopier:
    """The app's copier, on the test's session directory."""
    copier = MediaCopier(db_pool, app.state.media_store, directory, settings=api_settings)
    app.state.media_copier = copier
    return copier


def _delivery(payload: dict[str, Any]) -> bytes:
    return envelope_bytes(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "timestamp": payload["timestamp"] * 1000,
            "event": "message",
            "session": "default",
            "me": {"id": "15550001111@c.us", "pushName": "Acme"},
            "payload": payload,
        }
    )


@dataclass
class Inbox:
    """The owner's session, its simulated WAHA and the API: contacts send, WAHA delivers, the owner reads."""

    client: httpx.AsyncClient
    pool: asyncpg.Pool
    session: SessionRow
    headers: dict[str, str]
    sim: RunningSimulator
    directory: MemoryDirectory

    async def deliver(self, payload: dict[str, Any]) -> httpx.Response:
        return await deliver(self.client, self.session.session_name, _delivery(payload))

    async def receive(self, kind: str, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A contact sends `kind` and WAHA delivers it: (the WAMessage, the stored row)."""
        payload = await inbound_media(self.sim, kind, **fields)
        answer = await self.deliver(payload)
        assert answer.status_code == 200, answer.text
        return payload, await self.row(payload)

    async def row(self, payload: dict[str, Any]) -> dict[str, Any]:
        row = await self.pool.fetchrow(
            "SELECT id, media_storage_key, media_copy_attempts FROM messages WHERE message_id = $1",
            payload["id"],
        )
        assert row is not None
        return dict(row)

    async def media(
        self,
        row: dict[str, Any],
        *,
        session_id: uuid.UUID | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        path = f"/api/sessions/{session_id or self.session.id}/messages/{row['id']}/media"
        return await self.client.get(path, headers=headers or self.headers)

    def waha_down(self) -> None:
        self.directory.waha[self.session.session_name] = ("http://127.0.0.1:9", SIM_KEY)

    def waha_up(self) -> None:
        self.directory.waha[self.session.session_name] = (self.sim.url, SIM_KEY)


@pytest.fixture
async def inbox(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    owner: UserCredentials,
    directory: MemoryDirectory,
) -> AsyncIterator[Inbox]:
    async with paired_simulator() as sim:
        inbox = Inbox(client, db_pool, session, owner[1], sim, directory)
        inbox.waha_up()
        yield inbox


def _failed_copies() -> float:
    return metrics.REGISTRY.get_sample_value("conectafy_api_media_copies_total", {"outcome": "failed"}) or 0.0


def _served_headers(answer: httpx.Response) -> dict[str, str]:
    names = ("content-type", "content-disposition", "content-security-policy", "x-content-type-options")
    return {name: answer.headers[name] for name in names}


async def test_media_is_copied_to_s3_after_the_message_is_stored(
    inbox: Inbox, api_settings: ApiSettings, copier: MediaCopier
) -> None:
    payload = await inbound_media(inbox.sim, "image")
    answer = await inbox.deliver(payload)
    await copier.drain()
    row = await inbox.row(payload)
    key = f"media/{inbox.session.id}/{row['id']}-{payload['media']['url'].rsplit('/', 1)[1]}"
    assert (answer.json(), row["media_storage_key"], await read_object(api_settings, key)) == (
        {"outcome": "stored", "event": "message"},
        key,
        (media_bytes(inbox.sim, payload), "image/jpeg"),
    )


async def test_a_failed_copy_keeps_the_message_and_the_sweeper_retries_it(
    inbox: Inbox, api_settings: ApiSettings, copier: MediaCopier
) -> None:
    inbox.waha_down()
    failed_before = _failed_copies()
    payload, _ = await inbox.receive("audio")
    await copier.drain()
    after_failure = await inbox.row(payload)
    inbox.waha_up()
    copied = await copier.sweep(older_than=timedelta(0))
    after_sweep = await inbox.row(payload)
    assert after_sweep["media_storage_key"] is not None
    assert (
        after_failure["media_storage_key"],
        after_failure["media_copy_attempts"],
        _failed_copies() - failed_before,
        copied,
        await read_object(api_settings, after_sweep["media_storage_key"]),
    ) == (None, 1, 1, 1, (media_bytes(inbox.sim, payload), "audio/ogg; codecs=opus"))


async def test_the_sweeper_gives_up_after_the_attempt_limit(inbox: Inbox, copier: MediaCopier) -> None:
    inbox.waha_down()
    payload, _ = await inbox.receive("video")
    await copier.drain()
    retried = [await copier.sweep(older_than=timedelta(0)) for _ in range(3)]
    row = await inbox.row(payload)
    assert (retried, row["media_storage_key"], row["media_copy_attempts"]) == ([0, 0, 0], None, 2)


async def test_a_redelivered_message_is_not_copied_again(inbox: Inbox, copier: MediaCopier) -> None:
    payload = await inbound_media(inbox.sim, "image")
    body = _delivery(payload)
    await deliver(inbox.client, inbox.session.session_name, body)
    await copier.drain()
    again = await deliver(inbox.client, inbox.session.session_name, body)
    assert (again.json()["outcome"], copier.in_flight) == ("duplicate", 0)


async def test_copied_media_is_served_from_s3_without_waha(inbox: Inbox, copier: MediaCopier) -> None:
    payload, row = await inbox.receive("image")
    await copier.drain()
    inbox.waha_down()  # only the copy can answer now
    answer = await inbox.media(row)
    assert (answer.status_code, answer.content, _served_headers(answer)) == (
        200,
        media_bytes(inbox.sim, payload),
        {
            "content-type": "image/jpeg",
            "content-disposition": "inline",
            "content-security-policy": "sandbox",
            "x-content-type-options": "nosniff",
        },
    )


async def test_media_not_copied_yet_is_fetched_from_waha(inbox: Inbox, app: FastAPI) -> None:
    app.state.media_copier = None  # no copy made: WAHA serves the file
    payload, row = await inbox.receive("document", filename="rates 2026.pdf")
    answer = await inbox.media(row)
    assert (row["media_storage_key"], answer.status_code, answer.content, _served_headers(answer)) == (
        None,
        200,
        media_bytes(inbox.sim, payload),
        {
            "content-type": "application/pdf",
            "content-disposition": "attachment; filename*=UTF-8''rates%202026.pdf",
            "content-security-policy": "sandbox",
            "x-content-type-options": "nosniff",
        },
    )


async def test_media_waha_no_longer_has_is_404(inbox: Inbox) -> None:
    _, row = await inbox.receive("image")
    inbox.sim.sim.history.files.clear()  # WAHA deleted its files (WHATSAPP_FILES_LIFETIME)
    answer = await inbox.media(row)
    assert (answer.status_code, answer.json()["detail"]) == (404, "WAHA no longer has this media file")


async def test_a_text_message_has_no_media(inbox: Inbox) -> None:
    _, row = await inbox.receive("text", text="hello")
    answer = await inbox.media(row)
    assert (answer.status_code, answer.json()["detail"]) == (404, "the message has no media")


async def test_another_users_media_is_404(inbox: Inbox, user_factory: UserFactory) -> None:
    """Neither through the owner's session id nor by putting the message id under one's own session."""
    _, row = await inbox.receive("image")
    intruder_id, intruder = await user_factory()
    own = await make_session(inbox.pool, inbox.directory, user_id=intruder_id)
    answers = [
        await inbox.media(row, headers=intruder),
        await inbox.media(row, session_id=own.id, headers=intruder),
    ]
    assert [(a.status_code, a.json()["detail"]) for a in answers] == [
        (404, "session not found"),
        (404, "message not found"),
    ]
