"""Webhook ingestion throughput: signed deliveries end to end (HTTP → rows) vs the same rows via asyncpg.

    python bench/ingest.py [--messages 20000] [--concurrency 32] [--workers 1,2] [--dsn postgresql://...]

The API runs under uvicorn (uvloop + httptools) in a subprocess (bench/api_server.py), once per value of
`--workers` (that many uvicorn worker processes, 127.0.0.1);
this process is the load (WAHA's side): it signs every delivery with the session's HMAC key and POSTs
them at a fixed concurrency. Then the same rows go straight into PostgreSQL at the same concurrency
twice: once the plain way (the same one-statement delivery, one transaction per message) and once through
exactly the API's write path (that statement under the same `GroupCommit`). The first ratio is the issue's
(the API against plain asyncpg); the second isolates what HTTP, HMAC and parsing cost. Both are printed.
All of it goes in one table, with the API's CPU per delivery. Targets: ≥ 0.5x raw and ≥ 1,500
messages/s on 2 cores (issue 4); ≤ 0.3 ms of API CPU per delivery and HTTP ≥ 0.5x the API's own write
path (issue 13). Without --dsn, an embedded PostgreSQL is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from api_server import (  # bench/: sys.path[0]
    KEY,
    NAMESPACE,
    api_process,
    cpu_seconds,
    database,
    empty_database,
)

from conectafy.api.db import create_pool
from conectafy.api.services import waha_events as wire
from conectafy.api.services.group_commit import BatchStatement, GroupCommit
from conectafy.api.store import deliveries as deliveries_store
from conectafy.waha.signing import HMAC_ALGORITHM_HEADER, HMAC_HEADER, sign_body
from conectafy.waha.webhooks import MessageEvent, parse_webhook

sys.path.append(str(Path(__file__).resolve().parents[1]))  # appended: the stdlib `operator` stays first
from tests.api.push import deliver_raw

SESSION = "bench-session"
CONTACTS = 1000


def deliveries(count: int) -> list[bytes]:
    """`count` distinct incoming text messages from CONTACTS chats, as WAHA 2026 serialises them."""
    now = int(time.time())
    bodies = []
    for n in range(count):
        chat = f"1555{n % CONTACTS:07d}@c.us"
        payload = {
            "id": f"false_{chat}_BENCH{n:08d}",
            "timestamp": now,
            "from": chat,
            "fromMe": False,
            "source": "app",
            "body": f"message number {n}",
            "hasMedia": False,
            "media": None,
            "ack": 2,
            "ackName": "DEVICE",
            "_data": {"pushName": f"Contact {n % CONTACTS}"},
        }
        envelope = {
            "id": f"evt_bench{n:010d}",
            "timestamp": now * 1000,
            "event": "message",
            "session": "default",
            "me": {"id": "15550001111@c.us", "pushName": "Bench"},
            "payload": payload,
            "engine": "GOWS",
        }
        bodies.append(json.dumps(envelope, separators=(",", ":")).encode())
    return bodies


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def _run_workers(count: int, concurrency: int, work: object) -> tuple[float, list[float]]:
    """Run `work(i)` for i in range(count) on `concurrency` workers; wall time and per-call latencies."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            await work(i)  # type: ignore[operator]
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def _post_all(
    host: str, port: int, signed: list[bytes], jobs: asyncio.Queue[int], latencies: list[float]
) -> None:
    """One keep-alive HTTP/1.1 connection posting deliveries until the queue is empty.

    A hand-rolled client on purpose: httpx spends ~2.5x the API's own CPU per request, so on 2 cores
    the load generator, not the API, would be measured.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not jobs.empty():
            request = signed[jobs.get_nowait()]
            started = time.perf_counter()
            await deliver_raw(reader, writer, request)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


def _signed_requests(host: str, port: int, bodies: list[bytes]) -> list[bytes]:
    """Whole HTTP requests as WAHA sends them (body signed with the session's key), built in advance."""
    requests = []
    for body in bodies:
        head = (
            f"POST /webhooks/waha/{NAMESPACE}/{SESSION} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\n{HMAC_HEADER}: {sign_body(body, KEY)}\r\n"
            f"{HMAC_ALGORITHM_HEADER}: sha512\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def load_http(host: str, port: int, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    signed = _signed_requests(host, port, bodies)
    jobs: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(signed)):
        jobs.put_nowait(i)
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_post_all(host, port, signed, jobs, latencies) for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def load_raw(
    dsn: str, bodies: list[bytes], concurrency: int, *, group_commit: bool
) -> tuple[float, list[float]]:
    """The same rows without HTTP: one transaction each, or the API's own group commit."""
    events = [parse_webhook(body) for body in bodies]
    args = []
    for event in events:
        assert isinstance(event, MessageEvent)
        row = wire.new_message(event.payload, me=event.me)
        args.append(
            deliveries_store.message_delivery_args(
                session_name=SESSION,
                event_id=event.id,
                message=row,
                phone_number=wire.number_of(row.chat_id),
                contact_name=wire.contact_name(event.payload),
                preview=wire.preview(row),
            )
        )
    pool = await create_pool(dsn, min_size=2, max_size=20)  # the API's pool size
    batch = BatchStatement(deliveries_store.MESSAGE_BATCH_SQL, deliveries_store.message_batch)
    writer = GroupCommit(pool, deliveries_store.MESSAGE_DELIVERY_SQL, batch=batch)

    async def insert(i: int) -> None:
        if group_commit:
            record = await writer.fetchrow(*args[i])
        else:
            record = await pool.fetchrow(deliveries_store.MESSAGE_DELIVERY_SQL, *args[i])
        stored = deliveries_store.message_delivery(record)
        assert stored is not None and stored.message_row_id is not None

    try:
        return await _run_workers(len(args), concurrency, insert)
    finally:
        await pool.close()


async def _prepare(dsn: str) -> None:
    await empty_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, $2)", uuid.uuid4(), SESSION
        )
    finally:
        await conn.close()


async def _count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM messages"))
    finally:
        await conn.close()


def _row(name: str, count: int, wall: float, latencies: list[float]) -> str:
    p50, p99 = _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000
    return f"| {name:<30} | {count / wall:>10,.0f} | {p50:>8.2f} | {p99:>8.2f} |"


@dataclass
class HttpRun:
    workers: int
    wall: float
    latencies: list[float]
    api_cpu_ms: float


async def _http_run(dsn: str, bodies: list[bytes], concurrency: int, workers: int) -> HttpRun:
    await _prepare(dsn)
    async with api_process(dsn, workers) as (port, api):
        cpu_before = cpu_seconds(api)
        wall, latencies = await load_http("127.0.0.1", port, bodies, concurrency)
        api_cpu_ms = (cpu_seconds(api) - cpu_before) / len(bodies) * 1000
    assert await _count(dsn) == len(bodies), "not every delivery became a row"
    return HttpRun(workers, wall, latencies, api_cpu_ms)


Timed = tuple[float, list[float]]


async def _raw_run(dsn: str, bodies: list[bytes], concurrency: int, *, group: bool) -> Timed:
    await _prepare(dsn)
    result = await load_raw(dsn, bodies, concurrency, group_commit=group)
    assert await _count(dsn) == len(bodies)
    return result


HEADER = (
    "| path                           |   msg/s    | p50 (ms) | p99 (ms) | API CPU/delivery | HTTP / raw |"
    " HTTP / API's path |\n"
    "|--------------------------------|-----------:|---------:|---------:|-----------------:|-----------:|"
    "------------------:|"
)


def _print_table(args: argparse.Namespace, runs: list[HttpRun], plain: Timed, raw: Timed,
                 load_at_start: tuple[float, ...]) -> None:  # fmt: skip
    print(
        f"\nwebhook ingestion, {args.messages} messages, concurrency {args.concurrency}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores\n\n{HEADER}"
    )
    for run in runs:
        name = f"HTTP signed webhook, {run.workers} worker{'s' if run.workers > 1 else ''}"
        ratios = f"{plain[0] / run.wall:>9.2f}x | {raw[0] / run.wall:>16.2f}x"
        print(f"{_row(name, args.messages, run.wall, run.latencies)} {run.api_cpu_ms:>13.2f} ms | {ratios} |")
    blank = " " * 17 + "|" + " " * 12 + "|" + " " * 19 + "|"
    print(f"{_row('raw asyncpg, txn per message', args.messages, *plain)}{blank}")
    print(f"{_row('raw asyncpg, the API commits', args.messages, *raw)}{blank}")
    now = os.getloadavg()
    print(
        "\ntargets: API CPU per delivery ≤ 0.3 ms; HTTP / API's path ≥ 0.5x; HTTP / raw ≥ 0.5x; ≥ 1,500 msg/s"
        f"\nload average (1, 5 min): {load_at_start[0]:.1f}, {load_at_start[1]:.1f} at the start;"
        f" {now[0]:.1f}, {now[1]:.1f} at the end (other jobs on the machine count too)"
    )


async def main(args: argparse.Namespace) -> None:
    load_at_start = os.getloadavg()
    bodies = deliveries(args.messages)
    async with database(args.dsn) as dsn:
        runs = [await _http_run(dsn, bodies, args.concurrency, workers) for workers in args.workers]
        plain = await _raw_run(dsn, bodies, args.concurrency, group=False)
        raw = await _raw_run(dsn, bodies, args.concurrency, group=True)
    _print_table(args, runs, plain, raw, load_at_start)


def _workers(value: str) -> list[int]:
    return [int(part) for part in value.split(",")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=_workers, default=[1], help="API worker counts to run, e.g. 1,2")
    parser.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: embedded, temporary)")
    arguments = parser.parse_args()
    try:
        import uvloop  # the load generator is Python too: give it the fast loop when installed
    except ImportError:
        asyncio.run(main(arguments))
    else:
        uvloop.run(main(arguments))
