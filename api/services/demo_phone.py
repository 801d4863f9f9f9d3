"""The simulated phone of a demo session: scan the QR, receive a contact's message, unlink the device.

Demo mode only (`conectafy demo`): these are calls to the WAHA simulator's `/_sim/` control API, which a
real WAHA does not have. The session must be the caller's own; WAHA is reached exactly as for the QR
(the session directory's URL and the session's API key).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from conectafy.waha.errors import WahaError, WahaNotFound, WahaUnavailable, WahaUnprocessable
from conectafy.waha.wire import WahaHttp, json_body

from ..session_directory import SessionDirectory
from .sessions import SessionServiceError, owned_row

#: A person is waiting: one try, a short timeout.
TIMEOUT = 10.0


class PhoneNotReady(SessionServiceError):
    """The phone cannot do that in the session's current status (e.g. scan when already connected)."""

    status_code = 409


class PhoneUnreachable(SessionServiceError):
    status_code = 503


class NotSimulated(SessionServiceError):
    """The session's WAHA is a real one: there is no simulated phone to drive."""

    status_code = 404


def _explain(error: WahaError) -> SessionServiceError:
    if isinstance(error, WahaUnprocessable):
        return PhoneNotReady(f"The simulated phone cannot do that now: {error.message}")
    if isinstance(error, WahaNotFound):
        return NotSimulated("This session's WAHA is not the simulator; there is no phone to drive.")
    if isinstance(error, WahaUnavailable):
        return PhoneUnreachable("The session's WAHA is not reachable; is the session running?")
    return PhoneUnreachable(f"The simulator refused: {error.message}")


async def act(
    pool: asyncpg.Pool,
    directory: SessionDirectory,
    *,
    user_id: UUID,
    session_id: UUID,
    action: str,
    body: dict[str, Any],
) -> Any:
    """POST /_sim/<action> on the user's own session's simulator; returns its JSON answer."""
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    api_key = await directory.api_key(row.session_name)
    http = WahaHttp(
        directory.base_url(row.session_name), api_key=api_key, timeout=TIMEOUT, transport=None, retries=0
    )
    try:
        return json_body(await http.request("POST", f"/_sim/{action}", json=body))
    except WahaError as error:
        raise _explain(error) from error
    finally:
        await http.aclose()
