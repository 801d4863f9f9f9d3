"""SQL for a message delivery in ONE call: dedupe + message + contact + event + NOTIFY (issue 4).

The work is the `conectafy_ingest_message` function (migration 0004): one round trip instead of five
(BEGIN, dedupe, insert, event, COMMIT), and a group commit runs a whole batch of deliveries as ONE
statement, one function call per row, in order (`MESSAGE_BATCH_SQL`). Concurrency is settled by the
unique indexes: a concurrent copy of the same envelope (or of the same message in another envelope)
waits on the index entry, then skips, so exactly one copy stores rows; inside a batch, each call is
its own command and dedupes against the calls before it. `pg_notify` is transactional: listeners
hear of the event when the transaction commits, never before, and never for a rollback.

The live event's `message` is built in SQL from the inserted row, in exactly the JSON
`MessagePublic.model_dump(mode="json")` gives (tests hold the two equal), so the API needs no second
round trip for the row's `id`/`created_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from conectafy.api.store import contacts
from conectafy.api.store.events import CHANNEL
from conectafy.api.store.messages import NewMessage

#: The parameters' SQL types, in order (see message_delivery_args).
_TYPES = (
    "text", "text", "text", "text", "boolean", "text", "text", "text", "text", "text",
    "text", "text", "integer", "text", "timestamptz", "text", "text", "text", "integer", "text",
)  # fmt: skip

#: One delivery. No row: no such session (nothing written); `message_row_id` NULL: a redelivery.
MESSAGE_DELIVERY_SQL = (
    "SELECT session_id, user_id, message_row_id, event_id FROM conectafy_ingest_message("
    + ", ".join(f"${n}::{t}" for n, t in enumerate(_TYPES, 1))
    + ")"
)
#: A batch: ONE parameter, a JSON array of every delivery's MESSAGE_DELIVERY_SQL arguments
#: (`message_batch`); one row per delivery, in order (all NULL for an unknown session). JSON rather than
#: an array per parameter: asyncpg encodes twenty arrays element by element, 27 µs of the API's CPU per
#: delivery against 9 µs for one orjson document (issue 13). `text`, then `jsonb`: the pool's jsonb codec
#: would encode the document a second time.
MESSAGE_BATCH_SQL = f"""
SELECT r.session_id, r.user_id, r.message_row_id, r.event_id
FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS a(delivery, position)
LEFT JOIN LATERAL conectafy_ingest_message(
    {", ".join(f"(delivery->>{n})::{t}" for n, t in enumerate(_TYPES))}
) r ON true
ORDER BY a.position
"""


def message_batch(deliveries: Sequence[Sequence[Any]]) -> tuple[str]:
    """The parameters of MESSAGE_BATCH_SQL for these deliveries' `message_delivery_args`."""
    return (orjson.dumps(deliveries).decode(),)


@dataclass(slots=True)  # not frozen: one per delivery, and a frozen __init__ costs several times more
class MessageDelivery:
    """What a message delivery did: `message_row_id` is None for a redelivery (envelope or message id)."""

    session_id: UUID
    user_id: UUID
    message_row_id: int | None
    event_id: int | None


def message_delivery_args(
    *,
    session_name: str,
    event_id: str | None,
    message: NewMessage,
    phone_number: str,
    contact_name: str | None,
    preview: str,
) -> tuple[Any, ...]:
    """The parameters of MESSAGE_DELIVERY_SQL, in order (so a group commit can queue them)."""
    return (
        session_name, event_id, message.chat_id, message.message_id, message.from_me,
        message.from_number, message.to_number, message.body, message.type, message.media_url,
        message.media_mimetype, message.media_filename, message.ack, message.ack_name, message.timestamp,
        phone_number, contact_name, preview, contacts.PREVIEW_LENGTH, CHANNEL,
    )  # fmt: skip


def message_delivery(row: asyncpg.Record | None) -> MessageDelivery | None:
    """None: no such session (nothing was written)."""
    if row is None or row[0] is None:
        return None
    return MessageDelivery(row[0], row[1], row[2], row[3])  # the columns of the delivery SQL, in order


async def set_body_original_length(conn: asyncpg.Connection, *, message_row_id: int, length: int) -> None:
    """Record that the stored body is a sanitised copy of a text this long (same transaction as the row)."""
    await conn.execute("UPDATE messages SET body_original_length = $2 WHERE id = $1", message_row_id, length)
