"""The few WAHA calls a user may trigger on their own session: logout, QR code, pairing code.

Each is one named WAHA call through the session directory's client — never a generic proxy, because
WAHA serves its own API key and webhook key in clear on other routes (CONTRACT.md §3).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from conectafy.waha.client import WahaClient
from conectafy.waha.errors import WahaError, WahaStatusConflict, WahaUnavailable

from ..session_directory import SessionDirectory
from .sessions import SessionServiceError, owned_row


class WahaNotReady(SessionServiceError):
    """WAHA refused because the session is in the wrong status (e.g. a QR when already connected)."""

    status_code = 409


class WahaUnreachable(SessionServiceError):
    status_code = 503


class WahaFailed(SessionServiceError):
    status_code = 502


def _explain(error: WahaError) -> SessionServiceError:
    if isinstance(error, WahaStatusConflict):
        expected = ", ".join(str(status) for status in error.expected) or "another status"
        return WahaNotReady(f"The session is {error.status or 'busy'} in WAHA; this needs {expected}.")
    if isinstance(error, WahaUnavailable):
        return WahaUnreachable("The session's WAHA is not reachable; is the session running?")
    return WahaFailed(f"WAHA refused: {error.message}")


@asynccontextmanager
async def session_waha(
    pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID, session_id: UUID
) -> AsyncIterator[tuple[WahaClient, str]]:
    """The user's own session's WAHA client and the session's name inside WAHA.

    WAHA failures leave as SessionServiceErrors.
    """
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    async with await directory.waha_client(row.session_name) as waha:
        try:
            yield waha, directory.waha_session(row.session_name)
        except WahaError as error:
            raise _explain(error) from error


async def logout(pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID, session_id: UUID) -> None:
    """Unlink the phone; WAHA restarts the session into SCAN_QR_CODE (a new QR to scan)."""
    async with session_waha(pool, directory, user_id=user_id, session_id=session_id) as (waha, name):
        await waha.logout_session(name)


async def qr_image(
    pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID, session_id: UUID
) -> bytes:
    async with session_waha(pool, directory, user_id=user_id, session_id=session_id) as (waha, name):
        return await waha.get_qr_image(name)


async def qr_value(
    pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID, session_id: UUID
) -> str:
    async with session_waha(pool, directory, user_id=user_id, session_id=session_id) as (waha, name):
        return await waha.get_qr_value(name)


async def pairing_code(
    pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID, session_id: UUID, phone_number: str
) -> str:
    async with session_waha(pool, directory, user_id=user_id, session_id=session_id) as (waha, name):
        return await waha.request_pairing_code(name, phone_number)
