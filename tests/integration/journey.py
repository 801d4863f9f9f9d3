"""Issue 4's journey through the API's HTTP endpoints, shared by the kmock test and its e2e twin.

The cluster-specific part (where the operator's children are read and how the pod comes up) is a
`PodStarter` the caller passes in; everything else — registering, the QR, the scan, SSE, replying,
the other tenant — is the same against kmock and against a real API server.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.api.conftest import TEST_PASSWORD
from tests.api.dataplane import SseEvent, next_event
from tests.integration.waha_pod import WahaPod, until

Headers = dict[str, str]
#: Session name → the running WAHA of that session (the kubelet's part, per cluster kind).
PodStarter = Callable[[str], AbstractAsyncContextManager[WahaPod]]
CONTACT = "15550002222"
CHAT = f"{CONTACT}@c.us"
QUESTION = "Is my order on its way?"
WAIT = 20.0  # seconds; each step takes well under one, the margin is for a loaded CI machine


async def register(http: httpx.AsyncClient, who: str) -> Headers:
    answer = await http.post(
        "/api/auth/register", json={"email": f"{who}@example.com", "password": TEST_PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def create_session(http: httpx.AsyncClient, user: Headers, name: str) -> dict[str, Any]:
    answer = await http.post("/api/sessions", json={"name": name}, headers=user)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def session_in_phase(http: httpx.AsyncClient, user: Headers, path: str, phase: str) -> dict[str, Any]:
    """Poll the API's view of the session (read from the resource) until the operator wrote `phase`."""

    async def probe() -> dict[str, Any] | None:
        answer = await http.get(path, headers=user)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if body["phase"] == phase else None

    return await until(probe, WAIT)


@contextlib.asynccontextmanager
async def event_stream(http: httpx.AsyncClient, user: Headers) -> AsyncIterator[AsyncIterator[str]]:
    """The user's open /api/events stream, subscribed (past its `ready` frame)."""
    timeout = httpx.Timeout(10, read=60)
    async with http.stream("GET", "/api/events", headers=user, timeout=timeout) as answer:
        assert answer.status_code == 200
        lines = answer.aiter_lines()
        assert (await next_event(lines)).event == "ready"
        yield lines


async def next_of(lines: AsyncIterator[str], kind: str) -> SseEvent:
    """The next event of one type (session status frames come and go in between)."""
    while (event := await next_event(lines, within=WAIT)).event != kind:
        pass
    return event


def decode_qr(png: bytes) -> list[str]:
    """What a phone's camera reads from the PNG (one string per code found)."""
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def summary(session: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "phase", "wa_status", "paused", "phone_number", "push_name")
    return {key: session[key] for key in keys}


@dataclass(frozen=True)
class Journey:
    """Alice's connected session, her and Bob's open event streams, the HTTP client they share."""

    http: httpx.AsyncClient
    alice: Headers
    bob: Headers
    alice_events: AsyncIterator[str]
    bob_events: AsyncIterator[str]
    session: dict[str, Any]
    pod: WahaPod

    @property
    def path(self) -> str:
        return f"/api/sessions/{self.session['id']}"


async def connect(
    http: httpx.AsyncClient, user: Headers, start_pod: PodStarter, stack: contextlib.AsyncExitStack
) -> tuple[dict[str, Any], WahaPod]:
    """Create a session, bring up its pod, scan its QR; returns the session as the API shows it connected."""
    created = await create_session(http, user, "support")
    path = f"/api/sessions/{created['id']}"
    pending = await session_in_phase(http, user, path, "Pending")  # children made, no pod yet
    assert summary(pending) == {
        "status": "connecting",
        "phase": "Pending",
        "wa_status": None,
        "paused": False,
        "phone_number": None,
        "push_name": None,
    }
    pod = await stack.enter_async_context(start_pod(created["name"]))
    await session_in_phase(http, user, path, "ScanQR")
    qr = await http.get(f"{path}/qr", headers=user)
    assert (qr.status_code, qr.headers["content-type"]) == (200, "image/png")
    assert decode_qr(qr.content) == [pod.sim.sim.session.qr_value]
    await pod.control("POST", "scan", {})
    return await session_in_phase(http, user, path, "Connected"), pod


@contextlib.asynccontextmanager
async def journey_until_connected(api_url: str, start_pod: PodStarter) -> AsyncIterator[Journey]:
    """Alice and Bob registered and listening; Alice's session connected through the whole stack."""
    async with httpx.AsyncClient(base_url=api_url, timeout=15) as http, contextlib.AsyncExitStack() as stack:
        alice, bob = await register(http, "alice"), await register(http, "bob")
        alice_events = await stack.enter_async_context(event_stream(http, alice))
        bob_events = await stack.enter_async_context(event_stream(http, bob))
        session, pod = await connect(http, alice, start_pod, stack)
        yield Journey(http, alice, bob, alice_events, bob_events, session, pod)


async def inbound_message(journey: Journey) -> dict[str, Any]:
    """A contact writes to Alice's number; returns the WAMessage the phone received."""
    body = {"from": CONTACT, "type": "text", "text": QUESTION}
    payload: dict[str, Any] = await journey.pod.control("POST", "messages", body)
    return payload


async def check_connected_everywhere(journey: Journey) -> None:
    """The resource's status (GET one session) and the API's row mirror (the list) both say Connected."""
    connected = {
        "status": "connected",
        "phase": "Connected",
        "wa_status": "WORKING",
        "paused": False,
        "phone_number": "+15550001111",
        "push_name": "Conectafy Simulator",
    }
    assert summary(journey.session) == connected

    async def mirrored() -> list[Any] | None:
        rows: list[Any] = (await journey.http.get("/api/sessions", headers=journey.alice)).json()
        return rows if rows and rows[0]["status"] == "connected" else None

    rows = await until(mirrored, WAIT)
    assert [(row["id"], row["phase"], row["phone_number"]) for row in rows] == [
        (journey.session["id"], "Connected", "+15550001111")
    ]


async def check_inbound_message_is_live_and_unread(journey: Journey) -> None:
    payload = await inbound_message(journey)
    event = await next_of(journey.alice_events, "message")
    http, alice, path = journey.http, journey.alice, journey.path
    page = (await http.get(f"{path}/chats/{CHAT}/messages", headers=alice)).json()
    contacts = (await http.get(f"{path}/contacts", headers=alice)).json()
    assert event.data == {
        "session_id": journey.session["id"],
        "session_name": journey.session["name"],
        "chat_id": CHAT,
        "message": page["items"][0],
    }
    assert [(m["message_id"], m["from_me"], m["body"]) for m in page["items"]] == [
        (payload["id"], False, QUESTION)
    ]
    assert [(c["chat_id"], c["unread_count"], c["last_message_preview"]) for c in contacts["items"]] == [
        (CHAT, 1, QUESTION)
    ]


async def check_reply_reaches_the_contact(journey: Journey) -> None:
    """Mark read, reply; the contact got it (WAHA's /_sim/sent) and it is stored once, from_me."""
    http, alice, path = journey.http, journey.alice, journey.path
    await inbound_message(journey)
    await next_of(journey.alice_events, "message")
    read = await http.post(f"{path}/chats/{CHAT}/read", headers=alice)
    assert (read.status_code, read.json()) == (200, {"chat_id": CHAT, "unread_count": 0})
    sent = await http.post(f"{path}/chats/{CHAT}/messages", json={"text": "Yes, tomorrow."}, headers=alice)
    assert sent.status_code == 201, sent.text
    reply = sent.json()
    await journey.pod.sim.sim.sender.join()  # WAHA's message.any echo of the reply was delivered too
    received = await journey.pod.control("GET", "sent")
    page = (await http.get(f"{path}/chats/{CHAT}/messages", headers=alice)).json()
    contacts = (await http.get(f"{path}/contacts", headers=alice)).json()
    assert [(m["id"], m["from"], m["fromMe"], m["body"]) for m in received] == [
        (reply["message_id"], CHAT, True, "Yes, tomorrow.")
    ]
    assert [(m["id"], m["from_me"], m["body"]) for m in page["items"]] == [
        (reply["id"], True, "Yes, tomorrow."),
        (page["items"][1]["id"], False, QUESTION),
    ]
    assert [(c["chat_id"], c["unread_count"]) for c in contacts["items"]] == [(CHAT, 0)]


async def check_another_user_sees_none_of_it(journey: Journey) -> None:
    """Bob: an empty list, 404 on every route of Alice's session, and none of her live events."""
    http, bob, path = journey.http, journey.bob, journey.path
    await inbound_message(journey)
    await next_of(journey.alice_events, "message")
    assert (await http.get("/api/sessions", headers=bob)).json() == []
    probes = {
        "GET session": await http.get(path, headers=bob),
        "GET qr": await http.get(f"{path}/qr", headers=bob),
        "GET contacts": await http.get(f"{path}/contacts", headers=bob),
        "GET messages": await http.get(f"{path}/chats/{CHAT}/messages", headers=bob),
        "POST read": await http.post(f"{path}/chats/{CHAT}/read", headers=bob),
        "POST message": await http.post(f"{path}/chats/{CHAT}/messages", json={"text": "hi"}, headers=bob),
    }
    assert {probe: answer.status_code for probe, answer in probes.items()} == dict.fromkeys(probes, 404)
    own = await create_session(http, bob, "sales")  # Bob's first event: none of Alice's came before it
    first = await next_event(journey.bob_events, within=WAIT)
    assert (first.event, first.data["session_id"]) == ("session", own["id"])
