"""Sending (sendText and the media senders of 2026.6+) and the chats/messages history routes."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Request

from conectafy.simulator.core import SimulatedWaha
from conectafy.simulator.deps import SimDep, check_name, guard, json_body, session_name, unexpected
from conectafy.simulator.errors import WahaJSON, nest, only_default
from conectafy.simulator.messages import ACK_NAMES, SimMessage, new_wa_id, payload, raw_result
from conectafy.waha.status import WahaStatus

router = APIRouter()
_KINDS = {"sendImage": "image", "sendFile": "document", "sendVoice": "audio", "sendVideo": "video"}


async def _prepare(request: Request, sim: SimulatedWaha) -> dict[str, Any]:
    """Checks every send does, in WAHA's order: session name, then the WORKING status guard."""
    body = await json_body(request)
    name = session_name(body)
    if name != sim.session.name:
        raise only_default(name)
    await guard(sim, [WahaStatus.WORKING])
    chat_id = body.get("chatId")
    if not isinstance(chat_id, str):
        raise unexpected(
            request, body, TypeError("Cannot read properties of undefined (reading 'includes')"), sim
        )
    return body


@router.post("/api/sendText")
async def send_text(request: Request, sim: SimDep) -> WahaJSON:
    """201 with the engine's raw object; the phone gets the text; `message.any` says PENDING."""
    body = await _prepare(request, sim)
    text = body.get("text")
    message = SimMessage(
        body["chatId"],
        new_wa_id(),
        True,
        "text",
        text if isinstance(text, str) else "",
        reply_to=body.get("reply_to"),
        ack=0,
        source="api",
    )
    sim.send(message)
    return WahaJSON(raw_result(message), status_code=201)


async def _file_bytes(file: dict[str, Any]) -> bytes:
    """The file of a send request: base64 `data`, or `url` downloaded like WAHA does."""
    if isinstance(file.get("data"), str):
        try:
            return base64.b64decode(file["data"], validate=True)
        except binascii.Error as exc:
            raise nest(400, ["file.data must be base64 encoded"]) from exc
    if isinstance(file.get("url"), str):
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            response = await client.get(file["url"])
            response.raise_for_status()
            return response.content
    raise nest(400, ["file must contain either url or data"])


@router.post("/api/sendImage")
@router.post("/api/sendFile")
@router.post("/api/sendVoice")
@router.post("/api/sendVideo")
async def send_media(request: Request, sim: SimDep) -> WahaJSON:
    """Media senders as in WAHA 2026.6+ (Plus merged into Core): `file: {mimetype, filename?, url|data}`."""
    kind = _KINDS[request.url.path.rsplit("/", 1)[-1]]
    body = await _prepare(request, sim)
    file = body.get("file")
    if not isinstance(file, dict) or not isinstance(file.get("mimetype"), str):
        raise nest(400, ["file.mimetype must be a string"])
    try:
        data = await _file_bytes(file)
    except httpx.HTTPError as exc:
        raise unexpected(request, body, exc, sim) from exc
    wa_id = new_wa_id()
    caption = body.get("caption") if kind != "audio" else None
    message = SimMessage(
        body["chatId"],
        wa_id,
        True,
        kind,
        caption if isinstance(caption, str) else None,
        media=sim.store_media(wa_id, data, file["mimetype"]),
        filename=file.get("filename"),
        reply_to=body.get("reply_to"),
        ack=0,
        source="api",
    )
    sim.send(message)
    return WahaJSON(raw_result(message), status_code=201)


ChatSortBy = Literal["conversationTimestamp", "id", "name"]


@router.get("/api/{name}/chats")
async def list_chats(
    name: str,
    sim: SimDep,
    limit: int | None = None,
    offset: int = 0,
    sortBy: ChatSortBy | None = None,
    sortOrder: Literal["desc", "asc"] | None = None,
) -> WahaJSON:
    """Most recent activity first by default; `sortBy` id/name (NOWEB chats have no name: by id) and
    `sortOrder` as in WAHA's OpenAPI."""
    check_name(sim, name)
    await guard(sim, [WahaStatus.WORKING])
    chats = sim.history.chats()
    if sortBy is not None:
        key = "conversationTimestamp" if sortBy == "conversationTimestamp" else "id"
        chats.sort(key=lambda chat: chat[key], reverse=(sortOrder or "asc") == "desc")
    elif sortOrder == "asc":
        chats.reverse()
    chats = chats[offset:]
    return WahaJSON(chats[:limit] if limit is not None else chats)


def _matches(message: SimMessage, query: dict[str, str]) -> bool:
    """`filter.timestamp.gte/lte`, `filter.fromMe` and `filter.ack` of the messages endpoint."""
    if "filter.timestamp.gte" in query and message.timestamp < float(query["filter.timestamp.gte"]):
        return False
    if "filter.timestamp.lte" in query and message.timestamp > float(query["filter.timestamp.lte"]):
        return False
    if "filter.fromMe" in query and message.from_me != (query["filter.fromMe"].lower() == "true"):
        return False
    return "filter.ack" not in query or ACK_NAMES[message.ack] == query["filter.ack"]


@router.get("/api/{name}/chats/{chat_id}/messages")
async def list_messages(name: str, chat_id: str, request: Request, sim: SimDep) -> WahaJSON:
    """A chat's history, newest first unless `sortOrder=asc`; media URLs only with downloadMedia."""
    check_name(sim, name)
    await guard(sim, [WahaStatus.WORKING])
    query = dict(request.query_params)
    try:
        limit = int(float(query.get("limit", 10)))
        offset = int(float(query.get("offset", 0)))
        selected = [m for m in sim.history.of_chat(chat_id) if _matches(m, query)]
    except ValueError as exc:
        raise nest(400, [f"invalid query parameter: {exc}"]) from exc
    if query.get("sortOrder") == "asc":
        selected.reverse()
    download = query.get("downloadMedia", "true").lower() != "false"
    items = []
    for message in selected[offset : offset + limit]:
        item = payload(message, sim.files_url, binary_as_buffer=True)
        if not download and item["media"] is not None:
            item["media"] = None
        items.append(item)
    return WahaJSON(items)
