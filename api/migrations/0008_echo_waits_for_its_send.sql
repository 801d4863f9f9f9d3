-- An echo of our own message that arrives while the API records that send's id (the browser journey
-- test showed the same reply twice, about one run in eight). conectafy_confirm_send holds the
-- pending row; the echo's claim skipped it (SKIP LOCKED, there for identical twins) and inserted a second
-- row, and the confirm then failed on the unique id. Now, when every matching pending row is held by
-- another transaction, the echo waits for them and looks again: the confirm has stored the id (the
-- insert is then a no-op), or a twin is still pending and the echo claims it.
CREATE OR REPLACE FUNCTION conectafy_claim_pending_send() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    claimed bigint;
BEGIN
    LOOP
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
        IF claimed IS NOT NULL THEN
            RETURN NULL;  -- the pending row now is this message: insert nothing
        END IF;
        -- Wait for the transactions that hold matching pending rows (a confirm of this very send, or
        -- another echo). Rows still pending afterwards are locked by us, so the next pass claims one.
        PERFORM 1 FROM messages
        WHERE session_id = NEW.session_id AND chat_id = NEW.chat_id AND send_state = 'pending'
          AND type = NEW.type AND body IS NOT DISTINCT FROM NEW.body
          AND created_at > now() - interval '1 day'
        ORDER BY id
        FOR UPDATE;
        IF NOT FOUND THEN
            RETURN NEW;  -- none left pending: a new message, or the confirm stored it (ON CONFLICT)
        END IF;
    END LOOP;
END
$$;
