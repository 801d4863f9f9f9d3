"""Live events: one LISTEN connection per API process, fanned out in-process to each user's streams.

Every replica hears every NOTIFY (that is how events cross replicas); it fetches only the events of
users that have an open stream on this replica, on a connection it holds for that. A stream that falls
behind, or a lost connection, ends the affected streams instead of dropping events silently: the
browser reconnects with Last-Event-ID and reads what it missed from the `events` table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from conectafy.api.schemas.chats import media_route
from conectafy.api.store import events as events_store

log = structlog.get_logger(__name__)

#: Events a slow stream may have queued before it is ended (and resumes from the table).
QUEUE_SIZE = 1000
_END = None


class Subscription:
    """One open stream of one user: an async iterator of their events, in commit (position) order."""

    def __init__(self, hub: EventHub, user_id: UUID) -> None:
        self.hub = hub
        self.user_id = user_id
        self.queue: asyncio.Queue[events_store.StoredEvent | None] = asyncio.Queue(QUEUE_SIZE + 1)

    def offer(self, event: events_store.StoredEvent | None) -> bool:
        """Queue an event (None ends the stream); False when the stream is too far behind."""
        if self.queue.qsize() >= QUEUE_SIZE and event is not None:
            self.queue.put_nowait(_END)
            return False
        self.queue.put_nowait(event)
        return True

    async def __aiter__(self) -> AsyncIterator[events_store.StoredEvent]:
        while (event := await self.queue.get()) is not None:
            yield event


class EventHub:
    """Owns the LISTEN connection and the map user → open subscriptions of this process."""

    def __init__(self, pool: asyncpg.Pool, *, reconnect_delay: float = 1.0) -> None:
        self.pool = pool
        self.reconnect_delay = reconnect_delay
        self.subscriptions: dict[UUID, set[Subscription]] = defaultdict(set)
        self.listening = asyncio.Event()
        self._pending: asyncio.Queue[events_store.Notification] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def client_count(self) -> int:
        return sum(len(subs) for subs in self.subscriptions.values())

    @contextlib.contextmanager
    def subscribe(self, user_id: UUID) -> Any:
        """Register a stream for the duration of a `with` block (subscribe before reading the backlog)."""
        subscription = Subscription(self, user_id)
        self.subscriptions[user_id].add(subscription)
        try:
            yield subscription
        finally:
            self._forget(subscription)

    def _forget(self, subscription: Subscription) -> None:
        subs = self.subscriptions.get(subscription.user_id)
        if subs is not None:
            subs.discard(subscription)
            if not subs:
                del self.subscriptions[subscription.user_id]

    async def start(self) -> None:
        """Start listening; returns once the first LISTEN is in place (events after this are heard)."""
        self._tasks = [asyncio.create_task(self._listen_forever()), asyncio.create_task(self._dispatch())]
        waiter = asyncio.create_task(self.listening.wait())
        done, _ = await asyncio.wait([waiter, self._tasks[0]], return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            await self.stop()
            raise RuntimeError("the live-event listener stopped before it could LISTEN")

    async def stop(self) -> None:
        """Cancel the background tasks and end every open stream."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._end_all()

    def _end_all(self) -> None:
        for subs in list(self.subscriptions.values()):
            for subscription in list(subs):
                subscription.offer(_END)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if not self.subscriptions:
            return  # nobody watches in this process: every stored message would be parsed for nothing
        notification = events_store.Notification.parse(payload)
        if notification.user_id in self.subscriptions:
            self._pending.put_nowait(notification)

    async def _listen_forever(self) -> None:
        """Hold one pooled connection in LISTEN; when it dies, end the streams and listen again."""
        while True:
            lost = asyncio.Event()
            try:
                async with self.pool.acquire() as conn:
                    conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                    await conn.add_listener(events_store.CHANNEL, self._on_notify)
                    self.listening.set()
                    try:
                        await lost.wait()
                    finally:
                        self.listening.clear()
                        if not conn.is_closed():
                            await conn.remove_listener(events_store.CHANNEL, self._on_notify)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("live events: LISTEN connection failed", error=str(exc))
            self._end_all()
            await asyncio.sleep(self.reconnect_delay)

    async def _dispatch(self) -> None:
        """Fetch announced events in batches and hand each to its user's streams, in position order.

        On a connection of its own, held while it works: a pool acquire per batch costs a reset round
        trip on release, and under load that delayed every live event (median push p95 111 against 96
        ms at 1,000 msg/s, docs/performance.md). With the LISTEN connection, two per process."""
        while True:
            try:
                async with self.pool.acquire() as conn:
                    while True:
                        batch = [await self._pending.get()]
                        while not self._pending.empty():
                            batch.append(self._pending.get_nowait())
                        events = await events_store.get_events(conn, event_ids=[n.id for n in batch])
                        self._fan_out(events)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("live events: could not read announced events", error=str(exc))
                self._end_all()
                await asyncio.sleep(self.reconnect_delay)

    def _fan_out(self, events: list[events_store.StoredEvent]) -> None:
        for event in events:
            for subscription in list(self.subscriptions.get(event.user_id, ())):
                if not subscription.offer(event):
                    self._forget(subscription)


def public_data(event: events_store.StoredEvent) -> dict[str, Any]:
    """The event as browsers get it: a message's media URL is the API's media route, as in REST answers
    (an ingested message's event is built in SQL from the row, which keeps WAHA's URL)."""
    message = event.data.get("message") if event.type == "message" else None
    if not isinstance(message, dict) or message.get("media_url") is None:
        return event.data
    public = {**message, "media_url": media_route(message["session_id"], message["id"])}
    return {**event.data, "message": public}


@contextlib.asynccontextmanager
async def live_events(app: Any) -> AsyncIterator[None]:
    """App background task: the process's EventHub on `app.state.event_hub`, listening until shutdown."""
    hub = EventHub(app.state.pool)
    await hub.start()
    app.state.event_hub = hub
    try:
        yield
    finally:
        await hub.stop()
