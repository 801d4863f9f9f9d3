-- Media copies to S3-compatible storage, and the retention of the event log and webhook dedupe records.

-- Failed copies are retried by a sweeper a bounded number of times (a file WAHA already deleted, or one
-- over the size cap, must not be fetched forever).
ALTER TABLE messages ADD COLUMN media_copy_attempts smallint NOT NULL DEFAULT 0;

-- The sweeper's work list stays small (only media not copied yet), so finding it never scans messages.
CREATE INDEX messages_media_pending_idx ON messages (id)
    WHERE media_url IS NOT NULL AND media_storage_key IS NULL;

-- Retention deletes the oldest rows in small batches: both need their age indexed.
CREATE INDEX events_created_idx ON events (created_at);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);
