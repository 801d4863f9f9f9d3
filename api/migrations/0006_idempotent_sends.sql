-- Idempotent sends (issue 11): a send is a `pending` row BEFORE WAHA is called, then carries WAHA's id.
--
-- send_state: NULL for messages we did not send through the API (inbound, or sent from the phone);
-- 'pending' while WAHA's answer is not recorded (message_id is then a placeholder `pending:<uuid>`);
-- 'sent' once the row carries WAHA's serialized id; 'failed' when WAHA refused (nothing was sent).
ALTER TABLE messages ADD COLUMN send_state text CHECK (send_state IN ('pending', 'sent', 'failed'));
ALTER TABLE messages ADD COLUMN idempotency_key text;

-- A retry with the same Idempotency-Key (same session, hence same owner) finds the first send.
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (session_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The echo matcher's work list: only sends still waiting for WAHA's id.
CREATE INDEX messages_pending_sends_idx ON messages (session_id, chat_id, id) WHERE send_state = 'pending';

-- WAHA echoes every message we send as a `message.any` webhook (fromMe, source "api") carrying the id
-- sendText answered; sendText takes no correlation id of ours (CONTRACT.md §4, §8.2). When the API died
-- between WAHA's answer and recording it, the echo is the only place that id arrives: instead of a
-- second row, the echo completes the oldest pending send of the same session, chat, type and text
-- (created in the last day; backfill brings the same message later on, through the same insert).
-- Fires only for own messages that are not a send of ours (WHEN clause): inbound rows pay nothing.
CREATE FUNCTION conectafy_claim_pending_send() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    claimed bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM messages WHERE session_id = NEW.session_id AND message_id = NEW.message_id) THEN
        RETURN NEW;  -- already stored: the insert's ON CONFLICT makes it a no-op
    END IF;
    UPDATE messages SET message_id = NEW.message_id, send_state = 'sent',
                        ack = greatest(messages.ack, NEW.ack), ack_name = coalesce(NEW.ack_name, messages.ack_name)
    WHERE id = (
        SELECT id FROM messages
        WHERE session_id = NEW.session_id AND chat_id = NEW.chat_id AND send_state = 'pending'
          AND type = NEW.type AND body IS NOT DISTINCT FROM NEW.body
          AND created_at > now() - interval '1 day'
        ORDER BY id LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id INTO claimed;
    IF claimed IS NULL THEN
        RETURN NEW;
    END IF;
    RETURN NULL;  -- the pending row now is this message: insert nothing
END
$$;

CREATE TRIGGER messages_claim_pending_send BEFORE INSERT ON messages
    FOR EACH ROW WHEN (NEW.from_me AND NEW.send_state IS NULL)
    EXECUTE FUNCTION conectafy_claim_pending_send();

-- Record WAHA's id on send row p_row. When WAHA's echo got here first it may have completed an
-- identical twin instead (same chat, type and text, also pending): the two rows are interchangeable,
-- so they swap ids; a row that held a twin's id hands it to a twin still pending. A sent message starts
-- at WAHA's ack 0 (PENDING) until its message.ack webhooks move it on. Returns p_row.
CREATE FUNCTION conectafy_confirm_send(p_row bigint, p_message_id text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    mine messages%ROWTYPE;
    holder bigint;
BEGIN
    SELECT * INTO mine FROM messages WHERE id = p_row FOR UPDATE;
    IF NOT FOUND OR mine.message_id = p_message_id THEN
        RETURN p_row;
    END IF;
    SELECT id INTO holder FROM messages
    WHERE session_id = mine.session_id AND message_id = p_message_id FOR UPDATE;
    IF holder IS NOT NULL THEN
        UPDATE messages SET message_id = 'swap:' || holder WHERE id = holder;
        UPDATE messages SET message_id = p_message_id, send_state = 'sent',
                            ack = coalesce(ack, 0), ack_name = coalesce(ack_name, 'PENDING') WHERE id = p_row;
        UPDATE messages SET message_id = mine.message_id, send_state = mine.send_state WHERE id = holder;
        RETURN p_row;
    END IF;
    UPDATE messages SET message_id = p_message_id, send_state = 'sent',
                        ack = coalesce(ack, 0), ack_name = coalesce(ack_name, 'PENDING') WHERE id = p_row;
    IF mine.send_state = 'sent' THEN
        UPDATE messages SET message_id = mine.message_id, send_state = 'sent'
        WHERE id = (
            SELECT id FROM messages
            WHERE session_id = mine.session_id AND chat_id = mine.chat_id AND send_state = 'pending'
              AND type = mine.type AND body IS NOT DISTINCT FROM mine.body AND id <> p_row
            ORDER BY id LIMIT 1
        );
    END IF;
    RETURN p_row;
END
$$;
