"""Backfill: read from WAHA what its webhooks could not deliver while the API was down.

WAHA gives a delivery up after its retries (15, 2 s apart by default; CONTRACT.md §6.4). When a session
is WORKING again (its `session.status` webhook), and on demand (`POST /api/sessions/{id}/backfill`,
`conectafy backfill`), every chat WAHA lists (`GET /api/{s}/chats`) is read from where our stored history
of it ends (`GET /api/{s}/chats/{chatId}/messages?filter.timestamp.gte=…&sortOrder=asc`, paged by
`offset`). Rows go in through the webhooks' own statement (`store.deliveries`), so a message already
stored — by a webhook, an earlier backfill, or our own send — is skipped by the same message-id rule,
and a pending send of ours is completed by its echo (migration 0006).

A chat we never stored starts where the session's newest stored message is (a backfill is for downtime,
not an import of the whole history); a session with nothing stored takes what WAHA returns, capped at
`max_per_chat` per chat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from conectafy.api.services import waha_events as wire
from conectafy.api.services.chats import WahaDirectory
from conectafy.api.store import backfill as backfill_store
from conectafy.api.store import deliveries as deliveries_store
from conectafy.api.store.backfill import BackfillSession
from conectafy.logs import get_logger
from conectafy.waha.base import Me
from conectafy.waha.client import WahaClient
from conectafy.waha.errors import WahaError
from conectafy.waha.models import ChatMessage
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus
from conectafy.waha.webhooks import SessionStatusEvent, WebhookEvent

log = get_logger(__name__)
PAGE = 100
#: What a background backfill logs and gives up on (the next reconnect or request tries again).
_FAILURES = (WahaError, LookupError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class BackfillReport(BaseModel):
    """What one backfill read and stored (`stored` excludes what was already there)."""

    chats: int
    messages_read: int
    stored: int


@dataclass(frozen=True, slots=True)
class _Chat:
    chat_id: str
    since: int | None  # unix seconds, inclusive


def _plan(chats: list[tuple[str, int | None]], stored: dict[str, datetime]) -> list[_Chat]:
    """Which chats to read and from when (pure): a chat with nothing newer than our history is skipped."""
    newest = max(stored.values(), default=None)
    plan = []
    for chat_id, active_at in chats:
        start = stored.get(chat_id, newest)
        since = int(start.timestamp()) if start is not None else None
        if since is None or active_at is None or active_at >= since:
            plan.append(_Chat(chat_id, since))
    return plan


async def _all_chats(waha: WahaClient) -> list[tuple[str, int | None]]:
    chats: list[tuple[str, int | None]] = []
    while True:
        page = await waha.list_chats(DEFAULT_SESSION, limit=PAGE, offset=len(chats), sort_by="id")
        chats += [(chat.chat_id, chat.conversation_timestamp) for chat in page]
        if len(page) < PAGE:
            return chats


def _delivery_args(session: BackfillSession, message: ChatMessage) -> tuple[Any, ...]:
    own = (session.phone_number or "").lstrip("+")
    row = wire.new_message(message, me=Me(id=f"{own}@c.us") if own else None)
    return deliveries_store.message_delivery_args(
        session_name=session.session_name,
        event_id=None,
        message=row,
        phone_number=wire.number_of(row.chat_id),
        contact_name=wire.contact_name(message),
        preview=wire.preview(row),
    )


async def _store(pool: asyncpg.Pool, session: BackfillSession, messages: list[ChatMessage]) -> int:
    """One page in one statement (the group commit's batch form); returns how many rows were new."""
    args = [_delivery_args(session, m) for m in messages if wire.is_storable(m)]
    if not args:
        return 0
    rows = await pool.fetch(deliveries_store.MESSAGE_BATCH_SQL, *deliveries_store.message_batch(args))
    return sum(1 for row in rows if row["message_row_id"] is not None)


async def _backfill_chat(
    pool: asyncpg.Pool, waha: WahaClient, session: BackfillSession, chat: _Chat, max_per_chat: int
) -> tuple[int, int]:
    read = stored = 0
    while read < max_per_chat:
        page = await waha.list_messages(
            DEFAULT_SESSION, chat.chat_id, limit=min(PAGE, max_per_chat - read), offset=read,
            sort_order="asc", since=chat.since, download_media=True,
        )  # fmt: skip
        read += len(page)
        stored += await _store(pool, session, page)
        if len(page) < PAGE:
            break
    return read, stored


async def backfill_session(
    pool: asyncpg.Pool, directory: WahaDirectory, *, session_name: str, max_per_chat: int = 10_000
) -> BackfillReport:
    """Read and store what WAHA has that we do not (see the module doc). WahaError propagates."""
    session = await backfill_store.get_session_by_name(pool, session_name=session_name)
    if session is None:
        raise LookupError(f"no session {session_name!r}")
    stored_until = await backfill_store.last_message_times(pool, session_id=session.id)
    read = stored = 0
    async with await directory.waha_client(session_name) as waha:
        plan = _plan(await _all_chats(waha), stored_until)
        for chat in plan:
            chat_read, chat_stored = await _backfill_chat(pool, waha, session, chat, max_per_chat)
            read, stored = read + chat_read, stored + chat_stored
    report = BackfillReport(chats=len(plan), messages_read=read, stored=stored)
    log.info("backfill done", session=session_name, **report.model_dump())
    return report


def reconnected(event: WebhookEvent) -> bool:
    """A `session.status` WORKING: the session is back, and may have missed deliveries meanwhile."""
    return isinstance(event, SessionStatusEvent) and event.payload.status is WahaStatus.WORKING


class Backfiller:
    """Runs at most one backfill per session at a time in the background; a request while one runs
    makes it run once more after (so a reconnect during a backfill is not missed)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def schedule(self, session_name: str, directory: WahaDirectory) -> None:
        if session_name in self._running:
            self._again.add(session_name)
            return
        task = asyncio.create_task(self._run(session_name, directory), name=f"backfill-{session_name}")
        self._running[session_name] = task

    async def _run(self, session_name: str, directory: WahaDirectory) -> None:
        try:
            while True:
                self._again.discard(session_name)
                try:
                    await backfill_session(self._pool, directory, session_name=session_name)
                except (
                    WahaError,
                    LookupError,
                    OSError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ) as error:
                    log.warning("backfill failed", session=session_name, error=repr(error))
                except Exception:  # a background task's edge: logged with its traceback, never lost
                    log.exception("backfill crashed", session=session_name)
                if session_name not in self._again:
                    return
        finally:
            self._running.pop(session_name, None)

    async def drain(self) -> None:
        """Wait for the backfills in flight (tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop the backfills in flight (shutdown): a later one reads the same messages again."""
        self._again.clear()
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def backfills(app: Any) -> AsyncIterator[None]:
    """App background task: `app.state.backfiller`; backfills in flight are cancelled at shutdown."""
    backfiller = Backfiller(app.state.pool)
    app.state.backfiller = backfiller
    try:
        yield
    finally:
        await backfiller.cancel()
