"""`GET /api/events`: the caller's live events as Server-Sent Events (message, ack, reaction, session, qr).

Each event carries its commit-ordered `events.position` as the SSE id, so a browser's EventSource
reconnects with `Last-Event-ID` and gets everything it missed from the `events` table before the live
tail, whatever order concurrent transactions committed in. The first frame is `ready` (no id): from then
on the stream is subscribed and nothing new can be missed.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from conectafy.api import metrics
from conectafy.api.deps import CurrentUser, DbDep, SettingsDep
from conectafy.api.schemas.validation import EventPosition
from conectafy.api.services.events import EventHub, public_data
from conectafy.api.store import events as events_store

router = APIRouter(tags=["events"])

#: Events read per query while replaying after Last-Event-ID.
REPLAY_PAGE = 500
#: How long a browser waits before reconnecting after the stream ended (ms, the SSE `retry` field).
RECONNECT_MS = 1000


def get_event_hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.event_hub
    return hub


EventHubDep = Annotated[EventHub, Depends(get_event_hub)]


#: Frames of the events fanned out last, by the event object the hub handed to every stream of its user:
#: a user's streams (tabs, devices) send the same bytes, serialised and framed once.
_FRAMES: OrderedDict[int, tuple[events_store.StoredEvent, bytes]] = OrderedDict()
_FRAMES_KEPT = 1024


def _frame(event: events_store.StoredEvent) -> bytes:
    metrics.live_events_sent(event.type).inc()
    known = _FRAMES.get(id(event))
    if known is not None and known[0] is event:  # the same object, not a later one at a reused address
        return known[1]
    data = orjson.dumps(public_data(event)).decode()
    frame = ServerSentEvent(data=data, event=event.type, id=str(event.position)).encode()
    _FRAMES[id(event)] = (event, frame)
    if len(_FRAMES) > _FRAMES_KEPT:
        _FRAMES.popitem(last=False)
    return frame


async def _replay(pool: asyncpg.Pool, user_id: UUID, after: int) -> AsyncIterator[events_store.StoredEvent]:
    while True:
        async with pool.acquire() as conn:
            page = await events_store.events_after(
                conn, user_id=user_id, after_position=after, limit=REPLAY_PAGE
            )
        for event in page:
            yield event
        if len(page) < REPLAY_PAGE:
            return
        after = page[-1].position


async def _stream(
    hub: EventHub, pool: asyncpg.Pool, user_id: UUID, after: int | None
) -> AsyncIterator[ServerSentEvent | bytes]:
    """Subscribe first, then replay the backlog, then the live tail without the replayed ids."""
    with hub.subscribe(user_id) as subscription:
        metrics.SSE_CLIENTS.inc()
        try:
            ready = {"resumed_after": after}
            yield ServerSentEvent(data=json.dumps(ready), event="ready", retry=RECONNECT_MS)
            last = after
            if after is not None:
                async for event in _replay(pool, user_id, after):
                    last = event.position
                    yield _frame(event)
            async for event in subscription:
                if last is not None and event.position <= last:
                    continue  # replayed already (positions grow in commit order)
                yield _frame(event)
        finally:
            metrics.SSE_CLIENTS.dec()


@router.get("/api/events", response_class=EventSourceResponse)
async def stream_events(
    user: CurrentUser,
    pool: DbDep,
    hub: EventHubDep,
    settings: SettingsDep,
    last_event_id: Annotated[EventPosition, Header()] = None,
    resume_after: Annotated[EventPosition, Query(alias="last_event_id")] = None,
) -> EventSourceResponse:
    """The caller's events only. `last_event_id` as a query parameter serves clients that cannot set
    headers on their first connection; the header (sent by EventSource on reconnects) wins."""
    after = last_event_id if last_event_id is not None else resume_after
    return EventSourceResponse(_stream(hub, pool, user.id, after), ping=settings.sse_ping_seconds)
