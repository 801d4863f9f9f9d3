"""Group commit: concurrent deliveries share one transaction, so one WAL flush covers many messages.

Each delivery is one statement (`store.deliveries`). A caller queues its parameters and waits on its
own future. While fewer than `max_in_flight` transactions run, a commit task takes everything queued (up
to `max_batch`) and runs it in ONE transaction on one connection, then resolves every waiter; a commit
that ends starts the next with what queued meanwhile. With a `batch` statement (`BatchStatement`: one row
per call, in order) the whole batch is one round trip, otherwise one statement per call between BEGIN
and COMMIT. Nothing
waits on a timer: under light load a batch is the one delivery that arrived, and under heavy load the
deliveries that arrive while a commit is flushing form the next batch. Each caller is answered only
after its own rows are committed (or with its own error), so "200 means stored" still holds.

A failing statement aborts the shared transaction, so the batch is rolled back and replayed one by one,
each in its own transaction: only the delivery that really fails gets an error (WAHA retries it), and
the others are stored. A commit runs in its own task, so a cancelled caller cannot leave the others
waiting.

One transaction in flight per process (the default) measured best on 2 cores: batches grow while a
commit flushes, and parallelism comes from API replicas/workers (docs/performance.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import asyncpg

#: What one statement can fail with (the server's error, or a value asyncpg cannot encode).
_STATEMENT_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError)


class BatchStatement(NamedTuple):
    """One statement for a whole batch: `arguments` turns the calls' argument lists (in order) into its
    parameters, and it returns one row per call, in order."""

    sql: str
    arguments: Callable[[list[Sequence[Any]]], Sequence[Any]]


@dataclass(slots=True)
class _Pending:
    args: Sequence[Any]
    answer: asyncio.Future[asyncpg.Record | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _answer(pending: _Pending, row: asyncpg.Record | None) -> None:
    if not pending.answer.done():  # a cancelled caller's future is done already: its row is committed anyway
        pending.answer.set_result(row)


def _fail(pending: _Pending, error: BaseException) -> None:
    if not pending.answer.done():  # cancelled, or answered before the failure
        pending.answer.set_exception(error)


class GroupCommit:
    """Runs one statement per submitted argument list, many per transaction; see the module doc."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        statement: str,
        *,
        batch: BatchStatement | None = None,
        max_batch: int = 64,
        max_in_flight: int = 1,
    ) -> None:
        self._pool = pool
        self._statement = statement
        self._batch = batch
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._queue: list[_Pending] = []
        self._in_flight = 0
        self._commits: set[asyncio.Task[None]] = set()

    async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
        """The statement's first row for `args`, returned once the transaction that ran it committed.

        The caller waits on its own future only: the next batch is started when a commit ends (not by
        a waiter woken to look), so a delivery costs one wake-up however long the queue."""
        pending = _Pending(args)
        self._queue.append(pending)
        if self._in_flight < self._max_in_flight:
            self._start()
        return await pending.answer

    def _start(self) -> None:
        batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        self._in_flight += 1
        task = asyncio.create_task(self._commit(batch))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    def _answered(self) -> None:
        """A commit answered its callers: the next batch starts now, not once the connection is back in
        the pool (asyncpg resets a released connection with a round trip of its own)."""
        self._in_flight -= 1
        if self._queue and self._in_flight < self._max_in_flight:
            self._start()

    async def _commit(self, batch: list[_Pending]) -> None:
        answered = False
        try:
            async with self._pool.acquire() as conn:
                try:
                    if not await self._together(conn, batch):
                        await self._one_by_one(conn, batch)
                finally:
                    answered = True
                    self._answered()
        except BaseException as error:  # no connection at all: every waiter gets the error
            for pending in batch:
                _fail(pending, error)
            if not answered:
                self._answered()
            if not isinstance(error, Exception):
                raise

    async def _together(self, conn: asyncpg.Connection, batch: list[_Pending]) -> bool:
        """One transaction for the whole batch; False (rolled back) when any statement failed."""
        if len(batch) == 1:
            return False  # one by one is the same transaction, with the error kept
        try:
            if self._batch is not None:  # one statement: atomic without BEGIN/COMMIT round trips
                parameters = self._batch.arguments([pending.args for pending in batch])
                rows: list[asyncpg.Record | None] = await conn.fetch(self._batch.sql, *parameters)
            else:
                async with conn.transaction():
                    rows = [await conn.fetchrow(self._statement, *pending.args) for pending in batch]
        except (*_STATEMENT_ERRORS, TypeError, ValueError):  # also a batch its arguments cannot encode
            return False
        for pending, row in zip(batch, rows, strict=True):
            _answer(pending, row)
        return True

    async def _one_by_one(self, conn: asyncpg.Connection, batch: list[_Pending]) -> None:
        """Each statement in its own (implicit) transaction: a failure is that delivery's alone."""
        for pending in batch:
            try:
                _answer(pending, await conn.fetchrow(self._statement, *pending.args))
            except _STATEMENT_ERRORS as error:
                _fail(pending, error)
