"""argon2id password hashes, computed off the event loop (hashing takes tens of milliseconds by design)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    """Hash and verify with one argon2id cost setting (settings.argon2_*; tests use a cheap one)."""

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
        )
        #: Checked when the email is unknown, so a login costs the same whether or not the user exists.
        self._dummy_hash = self._hasher.hash("conectafy-timing-equaliser")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; an unknown user (None) costs the same time and is False."""

        def _verify() -> bool:
            try:
                matches = self._hasher.verify(password_hash or self._dummy_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
            return matches and password_hash is not None

        return await asyncio.to_thread(_verify)
