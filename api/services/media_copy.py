"""Copies of incoming media into S3-compatible storage, made after the message is committed.

The copy never delays or endangers the message: ingestion commits the row first, then `schedule` starts
the copy in the background. A copy that fails is logged and counted, and the sweeper (`run`) retries rows
that still have `media_url` but no `media_storage_key`, a bounded number of times per file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Protocol

import asyncpg

from conectafy.api import metrics
from conectafy.api.background import running
from conectafy.api.leadership import leadership_of
from conectafy.api.media_store import MediaStore, MediaStoreError, open_media_store
from conectafy.api.store import media as media_store
from conectafy.api.store.media import MediaRef
from conectafy.logs import get_logger
from conectafy.settings import ApiSettings
from conectafy.waha.client import WahaClient
from conectafy.waha.errors import WahaError
from conectafy.waha.models import media_path

log = get_logger(__name__)


class WahaDirectory(Protocol):
    """The part of the session directory a copy needs: a client for the session's WAHA."""

    async def waha_client(self, session_name: str) -> WahaClient: ...


def storage_key(prefix: str, ref: MediaRef) -> str:
    """`<prefix><session id>/<row id>-<WAHA file name>`: unique per message, readable when listed."""
    assert ref.media_url is not None
    file_name = media_path(ref.media_url).rsplit("/", 1)[1]
    return f"{prefix}{ref.session_id}/{ref.id}-{file_name}"


class MediaCopier:
    """Copies media from a session's WAHA to the media store, now (`schedule`) or later (`sweep`)."""

    def __init__(
        self, pool: asyncpg.Pool, store: MediaStore, directory: WahaDirectory, *, settings: ApiSettings
    ) -> None:
        self.pool, self.store, self.directory = pool, store, directory
        self._prefix = settings.s3_prefix
        self._max_bytes = settings.media_max_bytes
        self._max_attempts = settings.media_copy_max_attempts
        self._tasks: set[asyncio.Task[bool]] = set()

    def schedule(self, message_row_id: int) -> asyncio.Task[bool]:
        """Start copying one message's media in the background (the caller does not wait for it)."""
        task = asyncio.create_task(self.copy(message_row_id), name=f"media-copy-{message_row_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def in_flight(self) -> int:
        """Copies scheduled and not finished yet."""
        return len(self._tasks)

    async def copy(self, message_row_id: int) -> bool:
        """Copy one message's media unless already copied; True when the copy exists afterwards."""
        ref = await media_store.get_media(self.pool, message_row_id=message_row_id)
        if ref is None or ref.media_url is None:
            return False
        if ref.media_storage_key is not None:
            return True
        try:
            key = await self._copy(ref)
        except (WahaError, MediaStoreError, ValueError) as error:
            metrics.MEDIA_COPIES.labels("failed").inc()
            log.warning("media copy failed", message_row_id=ref.id, error=f"{type(error).__name__}: {error}")
            await media_store.count_failed_copy(self.pool, message_row_id=ref.id)
            return False
        await media_store.set_storage_key(self.pool, message_row_id=ref.id, key=key)
        metrics.MEDIA_COPIES.labels("copied").inc()
        return True

    async def _copy(self, ref: MediaRef) -> str:
        assert ref.media_url is not None
        key = storage_key(self._prefix, ref)
        async with await self.directory.waha_client(ref.session_name) as waha:
            media = await waha.download_media(ref.media_url, max_bytes=self._max_bytes)
        await self.store.put(key, media.content, ref.media_mimetype or media.content_type)
        return key

    async def sweep(self, *, older_than: timedelta, limit: int = 100) -> int:
        """Retry copies not made yet (rows older than `older_than`, so in-flight copies are left alone)."""
        pending = await media_store.pending_media(
            self.pool,
            max_attempts=self._max_attempts,
            older_than_seconds=older_than.total_seconds(),
            limit=limit,
        )
        copied = 0
        for ref in pending:
            copied += await self.copy(ref.id)
        return copied

    async def run(self, interval: timedelta) -> None:
        """The sweeper: forever, every `interval`; a database outage is logged and waited out."""
        while True:
            await asyncio.sleep(interval.total_seconds())
            try:
                await self.sweep(older_than=interval)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("media sweep failed", error=str(error))

    async def drain(self) -> None:
        """Wait for the copies in flight (shutdown, tests)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def media_copies(app: Any) -> AsyncIterator[None]:
    """App background task: with S3 configured, `app.state.media_store`/`media_copier` and the sweeper.

    Runs after `session_runtime` (it needs `app.state.session_directory`).
    """
    settings: ApiSettings = app.state.settings
    app.state.media_store = app.state.media_copier = None
    if not settings.s3_enabled:
        yield
        return
    async with open_media_store(settings) as store:
        copier = MediaCopier(app.state.pool, store, app.state.session_directory, settings=settings)
        app.state.media_store, app.state.media_copier = store, copier
        try:
            sweeper = leadership_of(app).run_while_leader(lambda: copier.run(settings.media_copy_interval))
            async with running(sweeper, name="conectafy-media-sweeper"):  # once per cluster
                yield
        finally:
            await copier.drain()
