"""Chat queries at scale: contact list and conversation pages over 1 M messages and 10 k contacts.

    python bench/chats.py [--messages 1000000] [--contacts 10000] [--samples 300] [--dsn postgresql://...]

Rows are generated with COPY into one session (the worst case: every index range is that session's),
then each query shape is timed `--samples` times at random positions, twice: through the store functions
(the SQL and its indexes) and through the HTTP API in-process (auth, validation, JSON included).
Target (issue 4): p95 ≤ 20 ms. Without --dsn, an embedded PostgreSQL is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from api_server import database  # bench/ is the script folder (sys.path[0])
from pydantic import SecretStr

from conectafy.api.main import create_app
from conectafy.api.migrate import migrate
from conectafy.api.services import chats as chats_service
from conectafy.api.store import contacts, messages
from conectafy.logs import configure_logging
from conectafy.settings import ApiSettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 50


def _chat(n: int) -> str:
    return f"1555{n:07d}@c.us"


_CONTACT_COLUMNS = ["session_id", "phone_number", "chat_id", "name", "last_message_at",
                    "last_message_preview", "unread_count"]  # fmt: skip
_MESSAGE_COLUMNS = [
    "session_id",
    "chat_id",
    "message_id",
    "from_me",
    "from_number",
    "body",
    "type",
    "timestamp",
]


def _contact_rows(session_id: uuid.UUID, n_contacts: int) -> list[tuple[object, ...]]:
    rng = random.Random(7)
    return [
        (session_id, _chat(c)[:-5], _chat(c), f"Contact {c}", T0 + timedelta(seconds=rng.randrange(10**7)),
         f"last words of {c}", rng.choice((0, 0, 0, 1, 3)))
        for c in range(n_contacts)
    ]  # fmt: skip


def _message_rows(session_id: uuid.UUID, first: int, last: int, n_contacts: int) -> list[tuple[object, ...]]:
    """Messages first..last-1, uniform over the chats, 10 s apart within a chat."""
    rows: list[tuple[object, ...]] = []
    for i in range(first, last):
        c = i % n_contacts
        at = T0 + timedelta(seconds=10 * (i // n_contacts) + c % 10)
        rows.append((session_id, _chat(c), f"false_{_chat(c)}_M{i:09d}", i % 3 == 0, _chat(c)[:-5],
                     f"message body number {i}", "text", at))  # fmt: skip
    return rows


async def generate(conn: asyncpg.Connection, session_id: uuid.UUID, n_messages: int, n_contacts: int) -> None:
    """COPY the contacts, then the messages in chunks of 100 k."""
    contacts_rows = _contact_rows(session_id, n_contacts)
    await conn.copy_records_to_table("contacts", records=contacts_rows, columns=_CONTACT_COLUMNS)
    for start in range(0, n_messages, 100_000):
        rows = _message_rows(session_id, start, min(start + 100_000, n_messages), n_contacts)
        await conn.copy_records_to_table("messages", records=rows, columns=_MESSAGE_COLUMNS, timeout=600)
    await conn.execute("ANALYZE contacts; ANALYZE messages")


def _stats(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


async def _time(samples: int, call: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
    durations = []
    for i in range(samples):
        started = time.perf_counter()
        await call(i)
        durations.append(time.perf_counter() - started)
    return _stats(durations)


def sql_shapes(
    pool: asyncpg.Pool, session_id: uuid.UUID, n_contacts: int, cursors: dict[str, list[str]]
) -> dict[str, Callable[[int], Awaitable[object]]]:
    """Each query shape the chat screens use, at a position chosen by the sample index."""
    return {
        "contacts, first page": lambda i: contacts.list_contacts(pool, session_id=session_id, limit=PAGE),
        "contacts, deep page (cursor)": lambda i: contacts.list_contacts(
            pool,
            session_id=session_id,
            limit=PAGE,
            cursor=chats_service.decode_contact_cursor(cursors["contacts"][i % len(cursors["contacts"])]),
        ),
        "contacts, unread first": lambda i: contacts.list_contacts(
            pool, session_id=session_id, limit=PAGE, unread_first=True
        ),
        "contacts, search name": lambda i: contacts.list_contacts(
            pool, session_id=session_id, limit=PAGE, search=f"Contact {i % n_contacts}"
        ),
        "contacts, search number": lambda i: contacts.list_contacts(
            pool, session_id=session_id, limit=PAGE, search=f"1555{i % n_contacts:07d}"
        ),
        "conversation, newest page": lambda i: messages.list_messages(
            pool, session_id=session_id, chat_id=_chat(i * 7919 % n_contacts), limit=PAGE
        ),
        "conversation, older page": lambda i: messages.list_messages(
            pool,
            session_id=session_id,
            chat_id=_older(cursors, i)[0],
            limit=PAGE,
            before=chats_service.decode_message_cursor(_older(cursors, i)[1]),
        ),
    }


def _older(cursors: dict[str, list[str]], i: int) -> tuple[str, str]:
    """(chat id, cursor) of a conversation's second page; stored as "chat|cursor"."""
    chat, cursor = cursors["messages"][i % len(cursors["messages"])].split("|")
    return chat, cursor


async def _cursors(http: httpx.AsyncClient, base: str, n_contacts: int) -> dict[str, list[str]]:
    """Real cursors handed out by the API: contact pages 5..20 deep, conversation pages 1 deep."""
    found: dict[str, list[str]] = {"contacts": [], "messages": []}
    cursor = None
    for _ in range(20):
        body = (
            await http.get(
                f"{base}/contacts", params={"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        cursor = body["next_cursor"]
        if cursor is None:
            break
        found["contacts"].append(cursor)
    for c in range(0, n_contacts, max(1, n_contacts // 50)):
        body = (await http.get(f"{base}/chats/{_chat(c)}/messages", params={"limit": PAGE})).json()
        if body["next_cursor"]:
            found["messages"].append(f"{_chat(c)}|{body['next_cursor']}")
    found["contacts"] = found["contacts"][4:] or found["contacts"]
    if not found["contacts"] or not found["messages"]:
        raise SystemExit(f"too little data for deep pages: use > {PAGE} contacts and messages per chat")
    return found


async def main(args: argparse.Namespace) -> None:
    configure_logging("json", "WARNING")  # the access log would time the terminal, not the API
    async with database(args.dsn) as dsn:
        await migrate(dsn)
        folder = Path(tempfile.mkdtemp(prefix="conectafy-bench-chats-"))
        settings = ApiSettings(
            database_url=dsn, data_dir=folder, jwt_secret=SecretStr("c" * 48), web_dist_dir=folder / "none"
        )
        app = create_app(settings, background=[])
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
        ):
            registered = (
                await http.post(
                    "/api/auth/register",
                    json={
                        "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                        "password": "bench password 123",
                    },
                )
            ).json()
            http.headers["Authorization"] = f"Bearer {registered['access_token']}"
            pool = app.state.pool
            session_id = await pool.fetchval(
                "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, $2) RETURNING id",
                uuid.UUID(registered["user"]["id"]),
                f"bench-{uuid.uuid4().hex[:8]}",
            )
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await generate(conn, session_id, args.messages, args.contacts)
            load_s = time.perf_counter() - started
            base = f"/api/sessions/{session_id}"
            cursors = await _cursors(http, base, args.contacts)
            results = []
            for name, call in sql_shapes(pool, session_id, args.contacts, cursors).items():
                results.append((name, await _time(args.samples, call)))
            http_results = await _http_shapes(http, base, args.contacts, args.samples, cursors)
    _print(args, load_s, results, http_results)


async def _http_shapes(
    http: httpx.AsyncClient, base: str, n_contacts: int, samples: int, cursors: dict[str, list[str]]
) -> list[tuple[str, tuple[float, float]]]:
    async def get(url: str, **params: str | int) -> None:
        answer = await http.get(url, params=params)
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text}")

    shapes: dict[str, Callable[[int], Awaitable[object]]] = {
        "GET contacts (first page)": lambda i: get(f"{base}/contacts", limit=PAGE),
        "GET contacts (deep cursor)": lambda i: get(
            f"{base}/contacts", limit=PAGE, cursor=cursors["contacts"][i % len(cursors["contacts"])]
        ),
        "GET contacts?search=": lambda i: get(
            f"{base}/contacts", limit=PAGE, search=f"Contact {i % n_contacts}"
        ),
        "GET chat messages (newest)": lambda i: get(
            f"{base}/chats/{_chat(i * 7919 % n_contacts)}/messages", limit=PAGE
        ),
    }
    return [(name, await _time(samples, call)) for name, call in shapes.items()]


#: The store query each HTTP shape runs (its raw baseline in the same run).
_BASELINES = {
    "GET contacts (first page)": "contacts, first page",
    "GET contacts (deep cursor)": "contacts, deep page (cursor)",
    "GET contacts?search=": "contacts, search name",
    "GET chat messages (newest)": "conversation, newest page",
}


def _print(
    args: argparse.Namespace,
    load_s: float,
    sql: list[tuple[str, tuple[float, float]]],
    api: list[tuple[str, tuple[float, float]]],
) -> None:
    print(
        f"\nchat queries, {args.messages:,} messages, {args.contacts:,} contacts,"
        f" {args.samples} samples each, page {PAGE}; COPY load {load_s:.1f} s;"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
    )
    print(
        "| query                              | p50 (ms) | p95 (ms) | p95 ≤ 20 ms | p95 / the store's p95 |"
    )
    print(
        "|------------------------------------|----------|----------|-------------|----------------------:|"
    )
    store = dict(sql)
    for name, (p50, p95) in [*sql, *api]:
        base = store.get(_BASELINES.get(name, ""))
        ratio = f"{p95 / base[1]:.1f}x" if base else ""
        print(
            f"| {name:<34} | {p50:>8.2f} | {p95:>8.2f} | {'yes' if p95 <= 20 else 'NO':<11} | {ratio:>21} |"
        )
    now = os.getloadavg()
    print(f"\nload average (1, 5 min): {LOAD_AT_START[0]:.1f}, {LOAD_AT_START[1]:.1f} at the start;"
          f" {now[0]:.1f}, {now[1]:.1f} at the end")  # fmt: skip


LOAD_AT_START = os.getloadavg()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: embedded, temporary)")
    asyncio.run(main(parser.parse_args()))
