"""The typed async client of one WAHA container: exactly the calls Conectafy makes, nothing generic.

There is deliberately no "call any path" method: WAHA serves its API key and webhook HMAC key in
clear at `/api/server/environment` (CONTRACT.md §3), so only the endpoints below are reachable, and
every session name and chat id is checked before it becomes part of a URL.
"""

from __future__ import annotations

import base64
import binascii
from types import TracebackType
from typing import Any, Literal, Self, TypeAlias
from urllib.parse import quote

import httpx

from conectafy.waha.errors import (
    WahaAlreadyStarted,
    WahaInvalidResponse,
    WahaNotFound,
    WahaNotSupported,
    WahaSessionExists,
)
from conectafy.waha.models import (
    CHAT_ID,
    PHONE_DIGITS,
    SESSION_NAME,
    Chat,
    ChatMessage,
    Me,
    MediaContent,
    MediaFile,
    PairingCode,
    QrImage,
    QrValue,
    SentMessage,
    ServerVersion,
    SessionConfig,
    SessionInfo,
    media_path,
)
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus
from conectafy.waha.wire import WahaHttp, json_body, parse, parse_list

#: Orders the chats and messages endpoints accept (WAHA's OpenAPI enums).
SortOrder: TypeAlias = Literal["desc", "asc"]
ChatSortBy: TypeAlias = Literal["conversationTimestamp", "id", "name"]


class WahaClient:
    """Async client of WAHA's HTTP API; use as `async with WahaClient(url, api_key=key) as waha:`.

    GET/PUT/DELETE are retried `retries` times on network errors and 5xx with exponential backoff;
    POSTs (sends, create, start...) never are. Failures raise `conectafy.waha.errors.WahaError`s.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retries: int = 3,
    ) -> None:
        self._http = WahaHttp(
            base_url, api_key=api_key, timeout=timeout, transport=transport, retries=retries
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- server -----------------------------------------------------------------------------------
    async def ping(self) -> None:
        """`GET /ping` (no key needed); returns when WAHA's HTTP server answers, raises otherwise."""
        await self._http.request("GET", "/ping")

    async def version(self) -> ServerVersion:
        return parse(ServerVersion, await self._http.request("GET", "/api/server/version"))

    # --- sessions ---------------------------------------------------------------------------------
    async def get_session(self, name: str = DEFAULT_SESSION) -> SessionInfo:
        return parse(SessionInfo, await self._http.request("GET", _session_path(name)))

    async def list_sessions(self, all: bool = True) -> list[SessionInfo]:
        """Sessions of this WAHA; without `all`, WAHA leaves STOPPED sessions out."""
        params: dict[str, str | int] | None = {"all": "true"} if all else None
        return parse_list(SessionInfo, await self._http.request("GET", "/api/sessions", params=params))

    async def create_session(
        self, name: str = DEFAULT_SESSION, *, start: bool = True, config: SessionConfig | None = None
    ) -> SessionInfo:
        """`POST /api/sessions`, always sending `start` (Core's code defaults it to false, CONTRACT §8.1).

        Core answers a create with `start: false` by 201 with an empty body; the session is then
        looked up, and if Core created nothing (its quirk) `WahaNotSupported` says so.
        """
        body: dict[str, Any] = {"name": _checked_session(name)}
        if config is not None:
            body["config"] = config.to_waha()
        body["start"] = start
        response = await self._http.request("POST", "/api/sessions", json=body)
        if json_body(response) is not None:
            return parse(SessionInfo, response)
        try:
            return await self.get_session(name)
        except WahaNotFound as exc:
            raise WahaNotSupported(
                response.status_code,
                "WAHA accepted the create but made no session (Core ignores start=false); "
                "create with start=True, or update an existing session and start it",
                None,
            ) from exc

    async def update_session(self, name: str, config: SessionConfig) -> SessionInfo:
        """`PUT /api/sessions/{name}`: replaces the config; WAHA restarts a running session."""
        response = await self._http.request("PUT", _session_path(name), json={"config": config.to_waha()})
        return parse(SessionInfo, response)

    async def apply_session(self, name: str, config: SessionConfig, *, start: bool = True) -> SessionInfo:
        """Create-or-update, so a retried reconcile converges: `config` set, running if `start`.

        Core pre-creates `default` (create answers "already exists"), so that case is a PUT of the
        config plus a start when the session is stopped (CONTRACT.md §8.1).
        """
        try:
            return await self.create_session(name, start=start, config=config)
        except WahaSessionExists:
            session = await self.update_session(name, config)
        if start and session.status is WahaStatus.STOPPED:
            try:
                session = await self.start_session(name)
            except WahaAlreadyStarted:
                session = await self.get_session(name)
        return session

    async def start_session(self, name: str = DEFAULT_SESSION) -> SessionInfo:
        return await self._session_action(name, "start")

    async def stop_session(self, name: str = DEFAULT_SESSION) -> SessionInfo:
        return await self._session_action(name, "stop")

    async def restart_session(self, name: str = DEFAULT_SESSION) -> SessionInfo:
        return await self._session_action(name, "restart")

    async def logout_session(self, name: str = DEFAULT_SESSION) -> SessionInfo:
        """Forget the WhatsApp login; a running session restarts into SCAN_QR_CODE."""
        return await self._session_action(name, "logout")

    async def delete_session(self, name: str = DEFAULT_SESSION) -> None:
        """`DELETE /api/sessions/{name}`: stop, log out, remove; WAHA answers 200 again if repeated."""
        await self._http.request("DELETE", _session_path(name))

    async def _session_action(self, name: str, action: str) -> SessionInfo:
        return parse(SessionInfo, await self._http.request("POST", f"{_session_path(name)}/{action}"))

    # --- login ------------------------------------------------------------------------------------
    async def get_me(self, name: str = DEFAULT_SESSION) -> Me | None:
        """The logged-in account, or None while STARTING/SCAN_QR_CODE (WAHA's 200 with empty body)."""
        response = await self._http.request("GET", f"{_session_path(name)}/me")
        if json_body(response) is None:
            return None
        return parse(Me, response)

    async def get_qr_image(self, name: str = DEFAULT_SESSION) -> bytes:
        """The QR to scan as PNG bytes; WAHA answers 422 (`WahaStatusConflict`) outside SCAN_QR_CODE."""
        response = await self._http.request("GET", f"/api/{_checked_session(name)}/auth/qr")
        if response.headers.get("content-type", "").startswith("image/"):
            return response.content
        image = parse(QrImage, response)  # the JSON form, {"mimetype", "data": base64}
        try:
            return base64.b64decode(image.data, validate=True)
        except binascii.Error as exc:
            raise WahaInvalidResponse(response.status_code, "QR data is not base64", image.data) from exc

    async def get_qr_value(self, name: str = DEFAULT_SESSION) -> str:
        """The raw string the QR encodes, for rendering it ourselves."""
        path = f"/api/{_checked_session(name)}/auth/qr"
        return parse(QrValue, await self._http.request("GET", path, params={"format": "raw"})).value

    async def request_pairing_code(self, name: str, phone_number: str) -> str:
        """An 8-character code (`ABCD-EFGH`) to link the phone `phone_number` without a QR."""
        digits = phone_number.removeprefix("+")
        if not PHONE_DIGITS.fullmatch(digits):
            raise ValueError(f"phone number must be 6-15 digits, international format: {phone_number!r}")
        path = f"/api/{_checked_session(name)}/auth/request-code"
        response = await self._http.request("POST", path, json={"phoneNumber": digits})
        return parse(PairingCode, response).code

    # --- messages ---------------------------------------------------------------------------------
    async def send_text(
        self, session: str, chat_id: str, text: str, *, reply_to: str | None = None
    ) -> SentMessage:
        """`POST /api/sendText`; never retried, since a repeat would message the contact twice."""
        return await self._send("/api/sendText", session, chat_id, fields={"text": text}, reply_to=reply_to)

    async def send_image(
        self,
        session: str,
        chat_id: str,
        file: MediaFile,
        *,
        caption: str | None = None,
        reply_to: str | None = None,
    ) -> SentMessage:
        fields = {"file": file.to_waha(), "caption": caption}
        return await self._send("/api/sendImage", session, chat_id, fields=fields, reply_to=reply_to)

    async def send_file(
        self,
        session: str,
        chat_id: str,
        file: MediaFile,
        *,
        caption: str | None = None,
        reply_to: str | None = None,
    ) -> SentMessage:
        """A document (PDF, spreadsheet...); `file.filename` is what the contact sees."""
        fields = {"file": file.to_waha(), "caption": caption}
        return await self._send("/api/sendFile", session, chat_id, fields=fields, reply_to=reply_to)

    async def send_voice(
        self,
        session: str,
        chat_id: str,
        file: MediaFile,
        *,
        convert: bool = True,
        reply_to: str | None = None,
    ) -> SentMessage:
        """A voice note; `convert` lets WAHA turn any audio into the OGG/Opus WhatsApp needs."""
        fields = {"file": file.to_waha(), "convert": convert}
        return await self._send("/api/sendVoice", session, chat_id, fields=fields, reply_to=reply_to)

    async def send_video(
        self,
        session: str,
        chat_id: str,
        file: MediaFile,
        *,
        caption: str | None = None,
        as_note: bool = False,
        convert: bool = True,
        reply_to: str | None = None,
    ) -> SentMessage:
        fields = {"file": file.to_waha(), "caption": caption, "asNote": as_note, "convert": convert}
        return await self._send("/api/sendVideo", session, chat_id, fields=fields, reply_to=reply_to)

    async def _send(
        self, path: str, session: str, chat_id: str, *, fields: dict[str, Any], reply_to: str | None
    ) -> SentMessage:
        body = {"session": _checked_session(session), "chatId": _checked_chat(chat_id)}
        body.update({key: value for key, value in fields.items() if value is not None})
        if reply_to is not None:
            body["reply_to"] = reply_to
        response = await self._http.request("POST", path, json=body)
        raw = json_body(response)
        if not isinstance(raw, dict):
            message = f"{path} answered {type(raw).__name__}, not an object"
            raise WahaInvalidResponse(response.status_code, message, raw)
        return SentMessage(chat_id=chat_id, raw=raw)

    # --- history (backfill) -----------------------------------------------------------------------
    async def list_chats(
        self,
        session: str = DEFAULT_SESSION,
        *,
        limit: int | None = None,
        offset: int | None = None,
        sort_by: ChatSortBy | None = None,
        sort_order: SortOrder | None = None,
    ) -> list[Chat]:
        """`GET /api/{session}/chats` (NOWEB ids are `…@s.whatsapp.net`; see `Chat.chat_id`)."""
        params = _params(limit=limit, offset=offset, sortBy=sort_by, sortOrder=sort_order)
        path = f"/api/{_checked_session(session)}/chats"
        return parse_list(Chat, await self._http.request("GET", path, params=params or None))

    async def list_messages(
        self,
        session: str,
        chat_id: str,
        *,
        limit: int = 100,
        offset: int | None = None,
        download_media: bool = False,
        sort_order: SortOrder | None = None,
        since: int | None = None,
        until: int | None = None,
        from_me: bool | None = None,
    ) -> list[ChatMessage]:
        """`GET /api/{session}/chats/{chatId}/messages`: newest first unless `sort_order="asc"`; `since` and
        `until` are unix seconds, inclusive (`filter.timestamp.gte`/`lte`), for backfilling what webhooks
        missed during downtime."""
        if limit < 1:
            raise ValueError("limit must be >= 1")
        path = f"/api/{_checked_session(session)}/chats/{quote(_checked_chat(chat_id), safe='@')}/messages"
        params = _params(
            limit=limit,
            offset=offset,
            downloadMedia=str(download_media).lower(),
            sortOrder=sort_order,
            **{
                "filter.timestamp.gte": since,
                "filter.timestamp.lte": until,
                "filter.fromMe": None if from_me is None else str(from_me).lower(),
            },
        )
        return parse_list(ChatMessage, await self._http.request("GET", path, params=params))

    # --- media -------------------------------------------------------------------------------------
    async def download_media(self, media_url: str, *, max_bytes: int) -> MediaContent:
        """A message's media file from `GET /api/files/{session}/{file}` (needs the API key).

        Only WAHA's media URLs are accepted, and only their path is used, against this client's own
        base URL: a URL pointing elsewhere (or at any other WAHA path) is a ValueError, never fetched.
        """
        path = media_path(media_url)
        content, content_type = await self._http.download(path, max_bytes=max_bytes)
        return MediaContent(content=content, content_type=content_type)


def _params(**values: str | int | None) -> dict[str, str | int]:
    """Query parameters without the unset ones."""
    return {key: value for key, value in values.items() if value is not None}


def _checked_session(name: str) -> str:
    if not SESSION_NAME.fullmatch(name):
        raise ValueError(f"not a WAHA session name: {name!r}")
    return name


def _checked_chat(chat_id: str) -> str:
    if not CHAT_ID.fullmatch(chat_id):
        raise ValueError(f"not a WhatsApp chat id (<number>@c.us, <id>@g.us...): {chat_id!r}")
    return chat_id


def _session_path(name: str) -> str:
    return f"/api/sessions/{_checked_session(name)}"
