"""`conectafy demo --seed`: a demo user, two connected numbers and a few conversations, made through the
API's HTTP routes and the simulated phone exactly as a person would make them in the dashboard."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from conectafy.demo.run import Demo

EMAIL = "demo@conectafy.dev"
PASSWORD = "conectafy-demo"
WAIT = 60.0  # seconds for a number to reach a phase
#: (session name, display name, the number its phone links)
NUMBERS = [("support", "Acme Support", "15550001111"), ("sales", "Acme Sales", "15550009999")]
#: (session, contact, contact name, type, text or file name, our reply or None)
CONVERSATIONS = [
    (
        "support",
        "15550002222",
        "Maria Silva",
        "text",
        "Hi! Is my order #1042 on its way?",
        "Yes, it ships today.",
    ),
    ("support", "15550002222", "Maria Silva", "image", "This is the parcel I got", None),
    (
        "support",
        "15550003333",
        "João Souza",
        "text",
        "Can I change my delivery address?",
        "Sure, send it here.",
    ),
    ("sales", "15550004444", "Ana Costa", "text", "Do you sell in bulk?", "We do: 10% off above 50 units."),
    ("sales", "15550004444", "Ana Costa", "document", "price-list-request.pdf", None),
]


class SeedError(Exception):
    """A seed step failed; the message says which."""


@dataclass(frozen=True)
class Seeded:
    email: str
    password: str
    sessions: list[str]


def _ok(answer: httpx.Response, step: str) -> Any:
    if answer.status_code >= 300:
        raise SeedError(f"seed: {step} failed: {answer.status_code} {answer.text}")
    return answer.json() if answer.content else None


async def _sign_in(http: httpx.AsyncClient) -> None:
    """Register the demo user (or sign in when a kept data folder already has it)."""
    account = {"email": EMAIL, "password": PASSWORD}
    answer = await http.post("/api/auth/register", json=account)
    if answer.status_code == 409:
        answer = await http.post("/api/auth/login", json=account)
    token = _ok(answer, "sign-in")["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"


async def _phase(http: httpx.AsyncClient, session_id: str, phase: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while (body := _ok(await http.get(f"/api/sessions/{session_id}"), "read session"))["phase"] != phase:
        if asyncio.get_running_loop().time() > deadline:
            raise SeedError(f"seed: session {body['name']} stayed {body['phase']}, never {phase}")
        await asyncio.sleep(0.2)


async def _connect(http: httpx.AsyncClient, name: str, display: str, phone: str) -> tuple[str, str]:
    """Create the number, scan its QR with the simulated phone; (its id, its resource name)."""
    created = _ok(
        await http.post("/api/sessions", json={"name": name, "display_name": display}), f"create {name}"
    )
    await _phase(http, created["id"], "ScanQR")
    scan = {"phone": phone, "push_name": display}
    _ok(await http.post(f"/api/demo/sessions/{created['id']}/phone/scan", json=scan), f"scan {name}")
    await _phase(http, created["id"], "Connected")
    return str(created["id"]), str(created["name"])


async def _converse(http: httpx.AsyncClient, ids: dict[str, str]) -> None:
    for session, contact, contact_name, kind, content, reply in CONVERSATIONS:
        message: dict[str, Any] = {"contact": contact, "contact_name": contact_name, "type": kind}
        message["filename" if kind == "document" else "text"] = content
        path = f"/api/demo/sessions/{ids[session]}"
        _ok(await http.post(f"{path}/phone/messages", json=message), f"message to {session}")
        if reply is not None:
            chat = f"/api/sessions/{ids[session]}/chats/{contact}@c.us"
            await _stored(http, f"{chat}/messages")
            _ok(await http.post(f"{chat}/messages", json={"text": reply}), f"reply in {session}")


async def _stored(http: httpx.AsyncClient, path: str) -> None:
    """The contact's message reached the API (webhook → row) before we answer it."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not (await http.get(path)).json().get("items"):
        if asyncio.get_running_loop().time() > deadline:
            raise SeedError(f"seed: no message arrived at {path}")
        await asyncio.sleep(0.1)


async def seed_demo(demo: Demo) -> Seeded:
    async with httpx.AsyncClient(base_url=demo.api_url, timeout=30) as http:
        await _sign_in(http)
        made = {name: await _connect(http, name, display, phone) for name, display, phone in NUMBERS}
        await _converse(http, {name: session_id for name, (session_id, _) in made.items()})
    return Seeded(EMAIL, PASSWORD, [resource for _, resource in made.values()])
