"""Issue 11's steps of the journey, shared by the kmock test and its e2e twin: an idempotent reply, and
a message WAHA kept but never delivered, brought in by backfill."""

from __future__ import annotations

import time

from tests.integration.journey import CHAT, CONTACT, Journey


async def check_a_retried_send_reaches_the_contact_once(journey: Journey) -> None:
    http, alice, path = journey.http, journey.alice, journey.path
    headers = {**alice, "Idempotency-Key": "reply-1"}
    first = await http.post(f"{path}/chats/{CHAT}/messages", json={"text": "On its way"}, headers=headers)
    retry = await http.post(f"{path}/chats/{CHAT}/messages", json={"text": "On its way"}, headers=headers)
    assert (first.status_code, retry.status_code, retry.json()) == (201, 201, first.json())
    await journey.pod.sim.sim.sender.join()  # WAHA's echo of the reply was delivered too
    received = await journey.pod.control("GET", "sent")
    page = (await http.get(f"{path}/chats/{CHAT}/messages", headers=alice)).json()
    assert [m["id"] for m in received] == [first.json()["message_id"]]
    assert [(m["id"], m["body"]) for m in page["items"]] == [(first.json()["id"], "On its way")]


async def check_backfill_brings_a_message_webhooks_missed(journey: Journey) -> None:
    """The contact wrote while the API was unreachable and WAHA gave the delivery up (deliver=false)."""
    http, alice, path = journey.http, journey.alice, journey.path
    body = {"from": CONTACT, "text": "Did you get this?", "timestamp": int(time.time()), "deliver": False}
    missed = await journey.pod.control("POST", "messages", body)
    answer = await http.post(f"{path}/backfill", headers=alice)
    page = (await http.get(f"{path}/chats/{CHAT}/messages", headers=alice)).json()
    assert (answer.status_code, answer.json()) == (200, {"chats": 1, "messages_read": 1, "stored": 1})
    assert [(m["message_id"], m["body"]) for m in page["items"]] == [(missed["id"], "Did you get this?")]
