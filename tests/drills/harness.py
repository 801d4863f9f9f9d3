"""Failure drills: real PostgreSQL, the real API in its own process, the WAHA simulator delivering with
WAHA's retry policy as the operator configures it (exponential, 2 s, 10 attempts; `scale` shortens every
delay for CI). Each drill injects N inbound messages at the simulated phone, breaks something, and
counts what PostgreSQL holds once WAHA's retries (and backfill) are done. Used by tests/drills and by
`bench/drills.py` (one table).

Counting: every message has a unique text, so `lost` is texts missing and `duplicated` is rows beyond one
per text (a second row under another id would show; the unique message id alone could not).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from conectafy.api.embedded import EmbeddedPostgres
from conectafy.api.migrate import migrate
from conectafy.simulator import RetryPolicy, RunningSimulator, SimulatorConfig, run_simulator
from conectafy.simulator.messages import SimMessage, new_wa_id
from tests.support.net import free_port

API_PROCESS = Path(__file__).with_name("api_process.py")
SESSION, HMAC_KEY, WAHA_KEY = "drill", "drill-hmac-key", "drill-waha-key"
NAMESPACE = "drill"  # the API process serves this namespace (its webhook URLs carry it)
#: What the operator subscribes WAHA to (conectafy.session.Webhook.events): one delivery per message.
EVENTS = ["session.status", "message.any", "message.ack", "message.reaction", "message.revoked"]
CHATS = 50
WAIT = 300.0
#: The slowest delivery rate a wait allows for: the simulator delivers one URL's events one at a time.
SLOWEST_PER_SECOND = 10


def patience(messages: int) -> float:
    """Seconds a wait for `messages` to be stored may take (WAIT, longer at bench sizes)."""
    return max(WAIT, messages / SLOWEST_PER_SECOND)


@dataclass(frozen=True)
class DrillResult:
    scenario: str
    sent: int
    stored: int
    lost: int
    duplicated: int
    recovery_seconds: float
    note: str = ""
    #: The operator drill's WAHA session starts beyond one per session (None: the drill reaches no WAHA).
    double_restarts: int | None = None


class ApiProcess:
    """`tests/drills/api_process.py` on a fixed port: start, SIGKILL, start again."""

    def __init__(self, dsn: str, waha_url: str, data_dir: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self._args = {
            "dsn": dsn, "port": self.port, "waha_url": waha_url, "waha_api_key": WAHA_KEY,
            "session": SESSION, "webhook_key": HMAC_KEY, "data_dir": str(data_dir),
        }  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        command = [sys.executable, str(API_PROCESS), json.dumps(self._args)]
        self._process = subprocess.Popen(command, cwd=tempfile.gettempdir())  # noqa: ASYNC220 - returns at once
        await until(self._healthy, 60, "API up")

    async def _healthy(self) -> bool:
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
                return (await http.get("/health")).status_code == 200
        except httpx.HTTPError:
            return False

    async def ready(self) -> bool:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
            return (await http.get("/ready")).status_code == 200

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, requests in flight are cut."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
            self._process = None


async def until(probe: Callable[[], Awaitable[bool]], within: float, what: str) -> float:
    """Seconds until `probe()` is true (polled every 0.1 s), else TimeoutError."""
    started = time.monotonic()
    while not await probe():
        if time.monotonic() - started > within:
            raise TimeoutError(f"{what}: not within {within} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@dataclass
class Rig:
    """One drill's world: PostgreSQL, the simulator and the API process(es)."""

    postgres: EmbeddedPostgres
    dsn: str
    waha: RunningSimulator
    apis: list[ApiProcess]
    sent: list[str]

    async def counts(self) -> tuple[int, int]:
        """(rows, distinct texts) of drill messages; (-1, -1) while PostgreSQL is down."""
        try:
            conn = await asyncpg.connect(self.dsn, timeout=5)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return -1, -1
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS n, count(DISTINCT body) AS texts FROM messages WHERE body LIKE 'drill %'"
            )
        finally:
            await conn.close()
        assert row is not None
        return int(row["n"]), int(row["texts"])

    async def all_stored(self) -> bool:
        return (await self.counts())[1] >= len(self.sent)

    def inbound(self, count: int, *, start: int = 0) -> None:
        """`count` contacts' messages reach the number (each queued for WAHA's webhook at once)."""
        for n in range(start, start + count):
            chat = f"1555{n % CHATS:07d}@c.us"
            text = f"drill {n}"
            self.waha.sim.receive(SimMessage(chat, new_wa_id(), False, "text", text, push_name="Drill"))
            self.sent.append(text)

    async def result(self, scenario: str, recovery: float, note: str = "") -> DrillResult:
        await self.waha.sim.sender.join()
        rows, texts = await self.counts()
        sent = len(self.sent)
        return DrillResult(scenario, sent, texts, sent - texts, rows - texts, round(recovery, 1), note)


def simulator_config(api_url: str, scale: float) -> SimulatorConfig:
    """WAHA as the operator configures it (global webhook, HMAC, exponential 2 s x 10), delays x scale."""
    return SimulatorConfig(
        api_key=WAHA_KEY, engine="NOWEB", paired=True, startup_seconds=0, status_guard_wait_seconds=0,
        webhook_url=f"{api_url}/webhooks/waha/{NAMESPACE}/{SESSION}",
        webhook_events=EVENTS, hmac_key=HMAC_KEY,
        retry_policy=RetryPolicy.EXPONENTIAL, retry_delay_seconds=2, retry_attempts=10,
        retry_delay_scale=scale,
    )  # fmt: skip


async def _seed(dsn: str) -> None:
    """The drill's owner and its connected session (what registration and the operator would write)."""
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        user = await conn.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ('drill@example.com', 'x') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO whatsapp_sessions (user_id, namespace, session_name, display_name, engine,"
            " status, phase, phone_number)"
            " VALUES ($1, $2, $3, $3, 'NOWEB', 'connected', 'Connected', '+15550001111')",
            user,
            NAMESPACE,
            SESSION,
        )
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def rig(*, scale: float, replicas: int = 1) -> AsyncIterator[Rig]:
    """PostgreSQL (embedded, own folder), the simulator (webhooks to replica 0, and to replica 1 as a
    second configured webhook), and `replicas` API processes."""
    with tempfile.TemporaryDirectory(prefix="conectafy-drill-") as folder:
        postgres = EmbeddedPostgres(Path(folder), delete_on_stop=False)
        dsn = await postgres.start()
        await _seed(dsn)
        ports = [free_port() for _ in range(replicas)]
        config = simulator_config(f"http://127.0.0.1:{ports[0]}", scale)
        try:
            async with run_simulator(config) as waha:
                apis = [ApiProcess(dsn, waha.url, Path(folder) / f"api{n}", p) for n, p in enumerate(ports)]
                if replicas > 1:
                    waha.sim.session.config = {
                        "webhooks": [
                            {"url": f"{apis[1].url}/webhooks/waha/{NAMESPACE}/{SESSION}", "events": EVENTS,
                             "hmac": {"key": HMAC_KEY},
                             "retries": {"policy": "exponential", "delaySeconds": 2, "attempts": 10}}
                        ]
                    }  # fmt: skip
                try:
                    await asyncio.gather(*(api.start() for api in apis))
                    yield Rig(postgres, dsn, waha, apis, [])
                finally:
                    for api in apis:
                        api.stop()
        finally:
            await postgres.stop()
