-- Webhook ingestion hot path (issue 4): a message delivery is ONE function call, and a group commit
-- runs a whole batch of them in ONE statement (one round trip, one transaction, one WAL flush).

-- pydantic's JSON form of an aware datetime as the API reads it back (UTC, `Z`, microseconds only when
-- not zero), so a live event built here is byte for byte what MessagePublic.model_dump(mode="json") gives.
CREATE FUNCTION conectafy_json_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_part('microseconds', t)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(t AT TIME ZONE 'UTC', '.US') END
    || 'Z'
$$;

-- Envelope-id dedupe + message insert + contact upsert + `message` event + NOTIFY, for one delivery.
-- Data-modifying CTEs run once each and share one snapshot; concurrency is settled by the unique
-- indexes (a concurrent copy waits on the index entry, then skips). Called once per row of a batch,
-- each call is its own command, so a later call sees (and dedupes against) an earlier one's rows.
-- The contact upsert is contacts.ON_CONFLICT_REFRESH (api/store/contacts.py): keep the two equal.
-- No row: no such session (nothing written). message_row_id NULL: a redelivery.
CREATE FUNCTION conectafy_ingest_message(
    p_session_name text, p_event_id text, p_chat_id text, p_message_id text, p_from_me boolean,
    p_from_number text, p_to_number text, p_body text, p_type text, p_media_url text,
    p_media_mimetype text, p_media_filename text, p_ack integer, p_ack_name text,
    p_timestamp timestamptz, p_phone_number text, p_contact_name text, p_preview text,
    p_preview_length integer, p_channel text
) RETURNS TABLE (session_id uuid, user_id uuid, message_row_id bigint, event_id bigint)
LANGUAGE sql VOLATILE AS $$
WITH s AS (SELECT id, user_id, session_name FROM whatsapp_sessions WHERE session_name = p_session_name),
d AS (
    INSERT INTO webhook_deliveries (session_id, event_id)
    SELECT id, p_event_id FROM s WHERE p_event_id IS NOT NULL
    ON CONFLICT (session_id, event_id) DO NOTHING
    RETURNING session_id
), m AS (
    INSERT INTO messages (session_id, chat_id, message_id, from_me, from_number, to_number, body, type,
                          media_url, media_mimetype, media_filename, ack, ack_name, "timestamp")
    SELECT s.id, p_chat_id, p_message_id, p_from_me, p_from_number, p_to_number, p_body, p_type,
           p_media_url, p_media_mimetype, p_media_filename, p_ack, p_ack_name, p_timestamp
    FROM s WHERE p_event_id IS NULL OR EXISTS (SELECT 1 FROM d)
    ON CONFLICT (session_id, message_id) DO NOTHING
    RETURNING *
), c AS (
    INSERT INTO contacts (session_id, phone_number, chat_id, name, last_message_at,
                          last_message_preview, unread_count)
    SELECT m.session_id, p_phone_number, m.chat_id, p_contact_name, m."timestamp",
           left(p_preview, p_preview_length), CASE WHEN m.from_me THEN 0 ELSE 1 END
    FROM m
    ON CONFLICT (session_id, phone_number) DO UPDATE SET
        name = coalesce(EXCLUDED.name, contacts.name),
        last_message_preview = CASE
            WHEN EXCLUDED.last_message_at >= contacts.last_message_at
            THEN EXCLUDED.last_message_preview ELSE contacts.last_message_preview END,
        last_message_at = greatest(contacts.last_message_at, EXCLUDED.last_message_at),
        unread_count = contacts.unread_count + EXCLUDED.unread_count
), e AS (
    INSERT INTO events (user_id, type, data)
    SELECT s.user_id, 'message', jsonb_build_object(
        'session_id', s.id, 'session_name', s.session_name, 'chat_id', m.chat_id,
        'message', jsonb_build_object(
            'id', m.id, 'session_id', m.session_id, 'chat_id', m.chat_id, 'message_id', m.message_id,
            'from_me', m.from_me, 'from_number', m.from_number, 'to_number', m.to_number,
            'body', m.body, 'type', m.type, 'media_url', m.media_url, 'media_mimetype', m.media_mimetype,
            'media_filename', m.media_filename, 'ack', m.ack, 'ack_name', m.ack_name,
            'timestamp', conectafy_json_time(m."timestamp"),
            'created_at', conectafy_json_time(m.created_at)))
    FROM s, m
    RETURNING id, user_id
)
SELECT s.id, s.user_id, m.id, n.id
FROM s
LEFT JOIN m ON true
LEFT JOIN LATERAL (
    SELECT e.id FROM e, pg_notify(p_channel, json_build_object('id', e.id, 'user_id', e.user_id)::text)
) n ON true
$$;
