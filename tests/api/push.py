"""Live-push measurement core (issue 13): SSE clients on raw sockets, signed webhooks at a fixed rate,
and the exactness check. `bench/push.py` runs it large (one table); tests/api/test_push.py runs it tiny.

Each message carries its sequence number in its text (`push <run> <seq>`), so a client knows which
POST an event answers. Message `seq` goes to session `seq % M` (user `seq % M`); client `i` belongs to
user `i % M`. Latency is from the moment the POST's bytes were written to the moment the chunk holding
the event was read by the right client (same process, same clock). A client whose stream the API ends
(it fell too far behind) reconnects with `Last-Event-ID`, as a browser does, and counts a reconnect.
Raw asyncio streams, not httpx: 1,000 clients must cost the API's machine as little as possible.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
import orjson

from conectafy.api.auth.base import AuthUser
from conectafy.api.auth.builtin import AUDIENCE
from conectafy.api.auth.tokens import issue_access_token
from conectafy.waha.signing import HMAC_ALGORITHM_HEADER, HMAC_HEADER, sign_body


@dataclass(frozen=True)
class PushUser:
    user_id: uuid.UUID
    session_name: str
    token: str


async def create_users(
    pool: asyncpg.Pool, count: int, *, prefix: str, jwt_secret: str, issuer: str = "conectafy"
) -> list[PushUser]:
    """`count` users, each owning one session row, with an access token of the built-in accounts."""
    users = []
    for n in range(count):
        user_id, name = uuid.uuid4(), f"{prefix}-{n}"
        await pool.execute(
            "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, $2)", user_id, name
        )
        who = AuthUser(id=user_id, email=f"{name}@example.com")
        token = issue_access_token(
            who, secret=jwt_secret, ttl=timedelta(hours=2), issuer=issuer, audience=AUDIENCE
        )
        users.append(PushUser(user_id, name, token))
    return users


def delivery(run: str, seq: int, now: int) -> bytes:
    """Message `seq` of a run as WAHA 2026 serialises an incoming text."""
    chat = f"1555{seq % 1000:07d}@c.us"
    payload = {
        "id": f"false_{chat}_PUSH{run}{seq:08d}", "timestamp": now, "from": chat, "fromMe": False,
        "source": "app", "body": f"push {run} {seq}", "hasMedia": False, "ack": 2, "ackName": "DEVICE",
        "_data": {"pushName": "Push"},
    }  # fmt: skip
    envelope = {"id": f"evt_push{run}{seq:010d}", "timestamp": now * 1000, "event": "message",
                "session": "default", "payload": payload, "engine": "GOWS"}  # fmt: skip
    return json.dumps(envelope, separators=(",", ":")).encode()


def signed_request(host: str, port: int, path: str, body: bytes, key: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{HMAC_HEADER}: {sign_body(body, key)}\r\n{HMAC_ALGORITHM_HEADER}: sha512\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class SseClient:
    """One browser tab: the events it got (seq, arrival time) and how often its stream was ended."""

    index: int
    user: PushUser
    run: str
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    foreign_sessions: int = 0
    reconnects: int = 0
    last_id: str | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run_forever(self, host: str, port: int) -> None:
        """Stay connected; a stream the API ends is resumed from the last id seen."""
        while True:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await self._stream(host, port)
            self.reconnects += 1
            await asyncio.sleep(0.05)

    async def _stream(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
            writer.write(
                f"GET /api/events HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
                f"Authorization: Bearer {self.user.token}\r\n{resume}\r\n".encode()
            )
            status = await reader.readline()
            if not status.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"SSE refused: {status!r}")
            while await reader.readline() not in (b"\r\n", b""):
                pass
            buffer = b""
            while size := int((await reader.readline()).strip() or b"0", 16):
                buffer += (await reader.readexactly(size + 2))[:-2].replace(b"\r\n", b"\n")
                arrived = time.perf_counter()
                *frames, buffer = buffer.split(b"\n\n")
                for frame in frames:
                    self._on_frame(frame, arrived)
        finally:
            writer.close()

    def _on_frame(self, frame: bytes, arrived: float) -> None:
        fields = dict(
            line.split(b": ", 1) for line in frame.split(b"\n") if b": " in line and line[:1] != b":"
        )
        if fields.get(b"event") == b"ready":
            self.ready.set()
        if fields.get(b"event") != b"message":
            return
        self.last_id = fields[b"id"].decode()
        data = orjson.loads(fields[b"data"])
        _, run, seq = data["message"]["body"].split(" ")
        if run != self.run or data["session_name"] != self.user.session_name:
            self.foreign_sessions += 1
        self.arrivals.append((int(seq), arrived))


async def _post(
    host: str, port: int, requests: Sequence[bytes], jobs: asyncio.Queue[int | None], sent: dict[int, float],
    answered: list[float],
) -> None:  # fmt: skip
    """One keep-alive connection posting the jobs it takes off the queue, as they become due."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (seq := await jobs.get()) is not None:
            sent[seq] = started = time.perf_counter()
            await deliver_raw(reader, writer, requests[seq])
            answered.append(time.perf_counter() - started)
    finally:
        writer.close()


async def deliver_raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
    """One signed delivery as raw HTTP/1.1 on a keep-alive connection (a hand-rolled client: httpx
    would cost the load generator more CPU than the API spends); anything but a stored answer raises."""
    writer.write(request)
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    answer = await reader.readexactly(length)
    if not status.startswith(b"HTTP/1.1 200") or b'"stored"' not in answer:
        raise RuntimeError(f"delivery refused: {status!r} {answer!r}")


async def _pace(jobs: asyncio.Queue[int | None], count: int, rate: float, connections: int) -> None:
    """Release job `seq` at start + seq/rate (a connection sends it as soon as it is free)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for seq in range(count):
        delay = start + seq / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        jobs.put_nowait(seq)
    for _ in range(connections):
        jobs.put_nowait(None)


@dataclass
class PushResult:
    clients: int
    users: int
    rate: float
    messages: int
    latencies: list[float]
    answered: list[float]
    missing: int
    foreign: int
    duplicates: int
    reconnects: int

    @property
    def exact(self) -> bool:
        """Every client got exactly its own user's events: none missed, none foreign, none twice."""
        return self.missing == 0 and self.foreign == 0 and self.duplicates == 0


def check(clients: Sequence[SseClient], users: int, messages: int, sent: dict[int, float]) -> PushResult:
    """Compare what each client got with what was sent to its user (seq % users)."""
    latencies: list[float] = []
    missing = foreign = duplicates = reconnects = 0
    for client in clients:
        mine = client.index % users
        expected = set(range(mine, messages, users))
        got = [seq for seq, _ in client.arrivals]
        missing += len(expected - set(got))
        foreign += len(set(got) - expected) + client.foreign_sessions
        duplicates += len(got) - len(set(got))
        reconnects += client.reconnects
        latencies += [at - sent[seq] for seq, at in client.arrivals if seq in sent]
    return PushResult(
        len(clients), users, 0.0, messages, latencies, [], missing, foreign, duplicates, reconnects
    )


async def run_push(
    host: str, port: int, users: Sequence[PushUser], *, clients: int, messages: int, rate: float,
    namespace: str, key: str, connections: int = 64, settle: float = 10.0,
) -> PushResult:  # fmt: skip
    """Connect `clients` SSE clients, post `messages` signed webhooks at `rate`/s, wait for every event
    (at most `settle` seconds after the last answer), and check who got what."""
    run = uuid.uuid4().hex[:8]
    now = int(time.time())
    requests = [
        signed_request(host, port, f"/webhooks/waha/{namespace}/{users[seq % len(users)].session_name}",
                       delivery(run, seq, now), key)
        for seq in range(messages)
    ]  # fmt: skip
    tabs = [SseClient(i, users[i % len(users)], run) for i in range(clients)]
    tasks = [asyncio.create_task(tab.run_forever(host, port)) for tab in tabs]
    try:
        await asyncio.wait_for(asyncio.gather(*(tab.ready.wait() for tab in tabs)), timeout=120)
        sent: dict[int, float] = {}
        answered: list[float] = []
        jobs: asyncio.Queue[int | None] = asyncio.Queue()
        posters = [_post(host, port, requests, jobs, sent, answered) for _ in range(connections)]
        started = time.perf_counter()
        await asyncio.gather(_pace(jobs, messages, rate, connections), *posters)
        achieved = messages / (time.perf_counter() - started)  # first POST sent → last one answered
        expected = sum(len(range(t.index % len(users), messages, len(users))) for t in tabs)
        deadline = time.perf_counter() + settle
        while sum(len(t.arrivals) for t in tabs) < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything extra (a duplicate, a foreign event) would show up now
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    result = check(tabs, len(users), messages, sent)
    result.rate, result.answered = achieved, answered
    return result
