"""One reconcile at a time per session, and the memory that makes overlapping paths agree.

kopf runs a session's change handlers one after another, but its timer runs beside them; the lock
serialises every path (handlers, timer, a child's watch event). The last status this process
computed is newer than the body a waiting path holds (our status patch may not have come back
through the watch yet), so Events and WAHA restarts are judged against it: two paths that overlap
never restart WAHA twice nor post the same Event twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from conectafy.session import WhatsAppSessionStatus


@dataclass
class SessionGuard:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    status: WhatsAppSessionStatus | None = None  # the last status computed for the session
    last_poll: datetime | None = None  # when WAHA was last read
    reconciles: int = 0  # completed reconciles (tests and the benchmark watch ticks by it)


class Guards:
    """Guards keyed by session uid (a re-created session with the same name is a new session)."""

    def __init__(self) -> None:
        self._guards: dict[str, SessionGuard] = {}

    def __len__(self) -> int:
        return len(self._guards)

    def get(self, uid: str) -> SessionGuard:
        guard = self._guards.get(uid)
        if guard is None:
            guard = self._guards[uid] = SessionGuard()
        return guard

    def forget(self, uid: str) -> None:
        self._guards.pop(uid, None)
