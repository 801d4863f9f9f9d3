"""Chats of one session: contacts, conversation pages, mark read, send text and media.

A session id that is unknown or belongs to someone else is a 404 on every route (never 403: the
answer must not tell that the session exists).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Response,
    UploadFile,
    status,
)

from conectafy.api.deps import CurrentUser, DbDep, SessionDirectoryDep
from conectafy.api.schemas.chats import (
    ContactPage,
    ContactPublic,
    MessagePage,
    MessagePublic,
    ReadReceipt,
    TextMessageCreate,
)
from conectafy.api.schemas.validation import StorableText, field_error
from conectafy.api.services import chats as chats_service
from conectafy.api.services import sends as sends_service
from conectafy.api.store import contacts as contacts_store
from conectafy.api.store import messages as messages_store
from conectafy.api.store.sessions import SessionRow, get_session
from conectafy.text import check_storable
from conectafy.waha.errors import WahaError, WahaNotSupported, WahaStatusConflict, WahaUnavailable
from conectafy.waha.models import CHAT_ID, MediaFile

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["chats"])

ChatId = Annotated[str, Path(pattern=CHAT_ID.pattern, max_length=128, description="e.g. 15550002222@c.us")]
Limit = Annotated[int, Query(ge=1, le=200)]
#: A file name as most file systems allow it.
MAX_FILENAME_LENGTH = 255


async def get_owned_session(session_id: UUID, user: CurrentUser, pool: DbDep) -> SessionRow:
    session = await get_session(pool, user_id=user.id, session_id=session_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "session not found")
    return session


OwnedSession = Annotated[SessionRow, Depends(get_owned_session)]


def _bad_cursor(name: str, error: chats_service.InvalidCursor) -> HTTPException:
    return field_error(["query", name], f"{error}: pass a next_cursor this API returned")


@router.get("/contacts", response_model=ContactPage)
async def list_contacts(
    session: OwnedSession,
    pool: DbDep,
    search: Annotated[StorableText | None, Query(max_length=100)] = None,
    unread_first: bool = False,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ContactPage:
    """Recent first (or chats with unread messages first); search matches name or number."""
    try:
        after = chats_service.decode_contact_cursor(cursor) if cursor else None
    except chats_service.InvalidCursor as error:
        raise _bad_cursor("cursor", error) from error
    rows = await contacts_store.list_contacts(
        pool,
        session_id=session.id,
        limit=limit + 1,
        search=search or None,
        unread_first=unread_first,
        cursor=after,
    )
    page = rows[:limit]
    next_cursor = chats_service.encode_contact_cursor(page[-1]) if len(rows) > limit else None
    return ContactPage(items=[ContactPublic.model_validate(r) for r in page], next_cursor=next_cursor)


@router.get("/chats/{chat_id}/messages", response_model=MessagePage)
async def list_messages(
    session: OwnedSession,
    chat_id: ChatId,
    pool: DbDep,
    limit: Limit = 50,
    before: Annotated[str | None, Query(max_length=200)] = None,
) -> MessagePage:
    """Newest first; keyset pagination, so new messages arriving never shift a page."""
    try:
        after = chats_service.decode_message_cursor(before) if before else None
    except chats_service.InvalidCursor as error:
        raise _bad_cursor("before", error) from error
    rows = await messages_store.list_messages(
        pool, session_id=session.id, chat_id=chat_id, limit=limit + 1, before=after
    )
    items = [MessagePublic.model_validate(r) for r in rows[:limit]]
    next_cursor = chats_service.encode_message_cursor(items[-1]) if len(rows) > limit else None
    return MessagePage(items=items, next_cursor=next_cursor)


@router.post("/chats/{chat_id}/read", response_model=ReadReceipt)
async def mark_read(session: OwnedSession, chat_id: ChatId, pool: DbDep) -> ReadReceipt:
    if not await contacts_store.mark_read(pool, session_id=session.id, chat_id=chat_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "chat not found")
    return ReadReceipt(chat_id=chat_id, unread_count=0)


def _waha_http_error(error: WahaError) -> HTTPException:
    """WAHA's refusal in the caller's terms."""
    if isinstance(error, WahaStatusConflict):
        detail = f"session is not connected (WAHA status {error.status})"
        return HTTPException(status.HTTP_409_CONFLICT, detail)
    if isinstance(error, WahaUnavailable):
        detail = "the session's WAHA is not reachable"
        if not sends_service.nothing_went_out(error):
            detail += "; the send may have gone out: retry with the same Idempotency-Key"
        return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail)
    if isinstance(error, WahaNotSupported):
        return HTTPException(422, f"WAHA cannot send this: {error.message}")
    return HTTPException(status.HTTP_502_BAD_GATEWAY, f"WAHA refused the message: {error.message}")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Printable ASCII; a retry with the same key answers the first send and never sends again",
    ),
]


async def _send(
    pool: DbDep,
    directory: SessionDirectoryDep,
    session: SessionRow,
    outgoing: sends_service.Outgoing,
    key: str | None,
    response: Response,
) -> MessagePublic:
    """201 sent; 202 accepted but WAHA's id not recorded yet (the row is `pending`)."""
    try:
        result = await sends_service.send(
            pool, directory, session=session, outgoing=outgoing, idempotency_key=key
        )
    except sends_service.SessionNotConnected as error:
        detail = {"message": str(error), "phase": error.phase, "status": error.status}
        raise HTTPException(status.HTTP_409_CONFLICT, detail) from error
    except sends_service.IdempotencyKeyReused as error:
        raise HTTPException(422, str(error)) from error
    except WahaError as error:
        raise _waha_http_error(error) from error
    if result.pending:
        response.status_code = status.HTTP_202_ACCEPTED
    return result.message


_SEND_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": MessagePublic, "description": "Accepted; WAHA's message id is not recorded yet"},
    409: {"description": "The session is not connected (detail names its phase)"},
}


@router.post(
    "/chats/{chat_id}/messages",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
    responses=_SEND_RESPONSES,
)
async def send_text(
    session: OwnedSession,
    chat_id: ChatId,
    message: TextMessageCreate,
    pool: DbDep,
    directory: SessionDirectoryDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MessagePublic:
    outgoing = sends_service.Outgoing(chat_id, message.text, reply_to=message.reply_to)
    return await _send(pool, directory, session, outgoing, idempotency_key, response)


def _upload_filename(file: UploadFile) -> str | None:
    """The upload's file name is stored with the message: refused (422) when it could not be."""
    name = file.filename or None
    if name is not None and len(name) > MAX_FILENAME_LENGTH:
        raise field_error(["body", "file"], f"file name longer than {MAX_FILENAME_LENGTH} characters")
    try:
        return None if name is None else check_storable(name)
    except ValueError as error:
        raise field_error(["body", "file"], f"file name {error}") from error


@router.post(
    "/chats/{chat_id}/media",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
    responses=_SEND_RESPONSES,
)
async def send_media(
    session: OwnedSession,
    chat_id: ChatId,
    pool: DbDep,
    directory: SessionDirectoryDep,
    response: Response,
    file: Annotated[UploadFile, File(description="image/*, audio/* (voice note), video/* or a document")],
    caption: Annotated[StorableText | None, Form(max_length=4096)] = None,
    idempotency_key: IdempotencyKey = None,
) -> MessagePublic:
    """Multipart upload; the bytes go to WAHA inline (base64), WAHA sends them to the contact."""
    filename = _upload_filename(file)
    content = await file.read()
    if not content:
        raise HTTPException(422, "the uploaded file is empty")
    mimetype = file.content_type or "application/octet-stream"
    try:
        media = MediaFile.from_bytes(content, mimetype, filename)
    except ValueError as error:
        raise HTTPException(422, f"unusable file: {error}") from error
    body = None if mimetype.startswith("audio/") else caption or None  # a voice note has no caption
    outgoing = sends_service.Outgoing(chat_id, body, media=media)
    return await _send(pool, directory, session, outgoing, idempotency_key, response)
