"""Webhook ingestion throughput: signed deliveries end to end (HTTP → rows) vs the same rows via asyncpg.

    python bench/ingest.py [--messages 20000] [--concurrency 32] [--workers 1] [--dsn postgresql://...]

The API runs under uvicorn (uvloop + httptools) in a subprocess (`--workers N` processes, 127.0.0.1);
this process is the load (WAHA's side): it signs every delivery with the session's HMAC key and POSTs
them at a fixed concurrency. Then the same rows go straight into PostgreSQL at the same concurrency
twice: once the plain way (the same one-statement delivery, one transaction per message) and once through
exactly the API's write path (that statement under the same `GroupCommit`). The first ratio is the issue's
(the API against plain asyncpg); the second isolates what HTTP, HMAC and parsing cost. Both are printed.
Targets (issue 4): ≥ 0.5x raw and ≥ 1,500 messages/s on 2 cores. Without --dsn, an embedded
PostgreSQL is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
from fastapi import FastAPI

from conectafy.api.db import create_pool
from conectafy.api.embedded import EmbeddedPostgres
from conectafy.api.migrate import migrate
from conectafy.api.services import waha_events as wire
from conectafy.api.services.group_commit import GroupCommit
from conectafy.api.store import deliveries as deliveries_store
from conectafy.waha.signing import HMAC_ALGORITHM_HEADER, HMAC_HEADER, sign_body
from conectafy.waha.webhooks import MessageEvent, parse_webhook

KEY = "bench-webhook-key"
SESSION = "bench-session"
NAMESPACE = "bench"
CONTACTS = 1000


class _StaticKeys:
    """The session directory for one session (no Kubernetes in a benchmark)."""

    namespace = NAMESPACE

    async def webhook_key(self, session_name: str) -> str | None:
        return KEY if session_name == SESSION else None

    async def nudge(self, session_name: str, waha_status: str) -> bool:
        return False


def serve(dsn: str, port: int, data_dir: str, workers: int = 1) -> None:
    """The API process: the real app, its webhook route, live events on; access logs at WARNING."""
    import uvicorn

    if workers > 1:  # uvicorn imports the app in each worker process: hand it the arguments
        os.environ["CONECTAFY_BENCH_SERVE"] = json.dumps([dsn, data_dir])
        uvicorn.run(
            "ingest:worker_app", factory=True, host="127.0.0.1", port=port, workers=workers,
            loop="uvloop", http="httptools", log_level="warning", access_log=False,
        )  # fmt: skip
        return
    uvicorn.run(
        _bench_app(dsn, data_dir), host="127.0.0.1", port=port, loop="uvloop", http="httptools",
        log_level="warning", access_log=False,
    )  # fmt: skip


def worker_app() -> FastAPI:
    """One uvicorn worker's app (the API is stateless: every worker has its own pool)."""
    dsn, data_dir = json.loads(os.environ["CONECTAFY_BENCH_SERVE"])
    return _bench_app(dsn, data_dir)


def _bench_app(dsn: str, data_dir: str) -> FastAPI:
    from pydantic import SecretStr

    from conectafy.api.main import create_app
    from conectafy.api.services.events import live_events
    from conectafy.logs import configure_logging
    from conectafy.settings import ApiSettings

    configure_logging("json", "WARNING")
    settings = ApiSettings(
        database_url=dsn,
        data_dir=Path(data_dir),
        jwt_secret=SecretStr("b" * 48),
        db_pool_max_size=20,
        web_dist_dir=Path(data_dir) / "none",
    )
    app: FastAPI = create_app(settings, background=[live_events])
    app.state.session_directory = _StaticKeys()  # what session_runtime would set (no Kubernetes here)
    return app


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
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status.startswith(b"HTTP/1.1 200") or b'"stored"' not in answer:
                raise RuntimeError(f"delivery refused: {status!r} {answer!r}")
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
    writer = GroupCommit(
        pool, deliveries_store.MESSAGE_DELIVERY_SQL, batch=deliveries_store.MESSAGE_BATCH_SQL
    )

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


@contextlib.asynccontextmanager
async def database(dsn: str | None) -> AsyncIterator[str]:
    if dsn:
        yield dsn
        return
    with tempfile.TemporaryDirectory(prefix="conectafy-bench-") as folder:
        server = EmbeddedPostgres(Path(folder), database="bench", delete_on_stop=True)
        try:
            yield await server.start()
        finally:
            await server.stop()


async def _prepare(dsn: str) -> None:
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "TRUNCATE events, webhook_deliveries, contacts, messages, whatsapp_sessions CASCADE"
        )
        await conn.execute(
            "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, $2)", uuid.uuid4(), SESSION
        )
    finally:
        await conn.close()


async def _wait_ready(url: str, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(600):
            if server.returncode is not None:
                raise RuntimeError("the API process exited")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not become ready")


async def _count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM messages"))
    finally:
        await conn.close()


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _api_cpu_seconds(process: psutil.Process) -> float:
    """The API's CPU: the server process and its uvicorn workers."""
    return _cpu_seconds(process) + sum(_cpu_seconds(child) for child in process.children(recursive=True))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _row(name: str, count: int, wall: float, latencies: list[float]) -> str:
    p50, p99 = _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000
    return f"| {name:<28} | {count:>8} | {count / wall:>10,.0f} | {p50:>8.2f} | {p99:>8.2f} |"


async def main(args: argparse.Namespace) -> None:
    load_at_start = os.getloadavg()[0]
    bodies = deliveries(args.messages)
    async with database(args.dsn) as dsn:
        await _prepare(dsn)
        port, data_dir = _free_port(), tempfile.mkdtemp(prefix="conectafy-bench-api-")
        command = [sys.executable, __file__, "serve", dsn, str(port), data_dir, str(args.workers)]
        server = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)
        try:
            await _wait_ready(f"http://127.0.0.1:{port}", server)
            api_process = psutil.Process(server.pid)
            cpu_before, load_before = _api_cpu_seconds(api_process), _cpu_seconds(psutil.Process())
            http_wall, http_lat = await load_http("127.0.0.1", port, bodies, args.concurrency)
            api_cpu_ms = (_api_cpu_seconds(api_process) - cpu_before) / args.messages * 1000
            load_cpu_ms = (_cpu_seconds(psutil.Process()) - load_before) / args.messages * 1000
        finally:
            server.terminate()
            await server.wait()
        assert await _count(dsn) == args.messages, "not every delivery became a row"
        await _prepare(dsn)
        plain_wall, plain_lat = await load_raw(dsn, bodies, args.concurrency, group_commit=False)
        assert await _count(dsn) == args.messages
        await _prepare(dsn)
        raw_wall, raw_lat = await load_raw(dsn, bodies, args.concurrency, group_commit=True)
        assert await _count(dsn) == args.messages
    print(
        f"\nwebhook ingestion, {args.messages} messages, concurrency {args.concurrency}, "
        f"{args.workers} API worker(s), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
    )
    print("| path                         | messages |   msg/s    | p50 (ms) | p99 (ms) |")
    print("|------------------------------|----------|------------|----------|----------|")
    print(_row("HTTP signed webhook → rows", args.messages, http_wall, http_lat))
    print(_row("raw asyncpg, txn per message", args.messages, plain_wall, plain_lat))
    print(_row("raw asyncpg, API's commits", args.messages, raw_wall, raw_lat))
    print(
        f"\nHTTP / raw asyncpg = {plain_wall / http_wall:.2f}x (target ≥ 0.5x); "
        f"HTTP / the API's own write path without HTTP = {raw_wall / http_wall:.2f}x; "
        f"HTTP rate target ≥ 1,500 msg/s"
    )
    print(
        f"API process CPU per delivery: {api_cpu_ms:.2f} ms (one core saturates at ~{1000 / api_cpu_ms:,.0f}"
        f" deliveries/s); load generator CPU per delivery: {load_cpu_ms:.2f} ms;"
        f" load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end,"
        f" on {os.cpu_count()} cores (other jobs on the machine count too)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--messages", type=int, default=20000)
        parser.add_argument("--concurrency", type=int, default=32)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the API")
        parser.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: embedded, temporary)")
        arguments = parser.parse_args()
        try:
            import uvloop  # the load generator is Python too: give it the fast loop when installed
        except ImportError:
            asyncio.run(main(arguments))
        else:
            uvloop.run(main(arguments))
