-- The data plane's additions (webhook ingestion, chats, live events).

-- A contact exists because a message arrived, so it always has a last message time. NOT NULL keeps the
-- contact list's keyset (last_message_at DESC, id DESC) a plain index range scan, with no NULL section.
UPDATE contacts SET last_message_at = created_at WHERE last_message_at IS NULL;
ALTER TABLE contacts ALTER COLUMN last_message_at SET DEFAULT now();
ALTER TABLE contacts ALTER COLUMN last_message_at SET NOT NULL;

-- Where the media file was copied to when S3-compatible storage is configured (WAHA deletes its copy
-- after WHATSAPP_FILES_LIFETIME); media_url keeps WAHA's URL either way.
ALTER TABLE messages ADD COLUMN media_storage_key text;

-- Searching a chat by number is a prefix match (`1555…`): a per-session btree answers it directly
-- (0001 creates this only when pg_trgm is missing; trigram indexes do not serve short prefixes well).
CREATE INDEX IF NOT EXISTS contacts_phone_prefix_idx ON contacts (session_id, phone_number text_pattern_ops);
