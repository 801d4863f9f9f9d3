-- Issue 10: the `whatsapp_sessions` row is a projection of the WhatsAppSession resource, written only by
-- the API's watch of sessions (api/services/session_mirror.py).
--   namespace, uid        which resource the row projects (uid: a re-created name is another session)
--   resource_version      the resource's version the row shows; an older event never overwrites a newer
--                         one (etcd-backed API servers give integers: etcd's global revision)
--   wa_status, paused,    the rest of what a session card shows, so reads need no Kubernetes call
--   conditions
ALTER TABLE whatsapp_sessions
    ADD COLUMN namespace        text,
    ADD COLUMN uid              text,
    ADD COLUMN resource_version bigint,
    ADD COLUMN wa_status        text,
    ADD COLUMN paused           boolean NOT NULL DEFAULT false,
    ADD COLUMN conditions       jsonb NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX whatsapp_sessions_uid_key ON whatsapp_sessions (uid);
CREATE INDEX whatsapp_sessions_namespace_idx ON whatsapp_sessions (namespace, session_name);

-- One phone format: E.164 with a `+` (the webhook path used to store it without).
UPDATE whatsapp_sessions SET phone_number = '+' || phone_number WHERE phone_number ~ '^[1-9][0-9]{6,14}$';
UPDATE whatsapp_sessions SET phone_number = NULL WHERE phone_number !~ '^\+[1-9][0-9]{6,14}$';
ALTER TABLE whatsapp_sessions
    ADD CONSTRAINT whatsapp_sessions_phone_e164 CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$');

-- Resources whose deletion the projection applied: a late event about a deleted uid (a lagging watch,
-- another replica) never brings its row back. Pruned by retention like webhook dedupe records.
CREATE TABLE session_tombstones (
    uid              text PRIMARY KEY,
    namespace        text NOT NULL,
    session_name     text NOT NULL,
    resource_version bigint,
    deleted_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_tombstones_deleted_idx ON session_tombstones (deleted_at);
ALTER TABLE session_tombstones ENABLE ROW LEVEL SECURITY;
