import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { sessionsApi } from "../api/endpoints";
import type { SessionPublic } from "../api/types";
import { useLiveEvents, type LiveEvent } from "../events/EventsProvider";
import { SESSION_EVENTS, applySessionEvent, eventSessionId } from "../events/sessionEvents";

/** The user's sessions, kept current by live events. */
export function useSessions() {
  const [sessions, setSessions] = useState<SessionPublic[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setSessions(await sessionsApi.list());
      setError(null);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not load your numbers.");
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  // A `session` event carries what a card shows (docs/api.md, "Live events"): it is applied as is. Re-reading
  // the resource here would undo a webhook's fresher WAHA status until the operator has caught up.
  useLiveEvents(SESSION_EVENTS, (event: LiveEvent) => {
    const id = eventSessionId(event);
    if (!id) return;
    if (event.type === "session_deleted") {
      setSessions((list) => list?.filter((s) => s.id !== id) ?? list);
      return;
    }
    if (!sessions?.some((s) => s.id === id)) {
      void reload(); // created in another tab
      return;
    }
    setSessions((list) => list?.map((s) => (s.id === id ? applySessionEvent(s, event) : s)) ?? list);
  });

  const upsert = useCallback((session: SessionPublic) => {
    setSessions((list) => {
      const rest = (list ?? []).filter((s) => s.id !== session.id);
      return list?.some((s) => s.id === session.id)
        ? (list ?? []).map((s) => (s.id === session.id ? session : s))
        : [...rest, session];
    });
  }, []);

  const remove = useCallback((id: string) => setSessions((list) => list?.filter((s) => s.id !== id) ?? list), []);

  return { sessions, error, reload, upsert, remove };
}

/** Reads of one session in a row while live events about it keep arriving (then the last read is kept). */
const MAX_READS = 3;

/** One session, live: for the pairing and chat pages. */
export function useSession(id: string) {
  const [session, setSession] = useState<SessionPublic | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // Live events about this session so far. An answer read while one arrived may predate it (the page
  // opened just as the operator moved the session on), and the event itself found nothing to update yet.
  const changes = useRef(0);

  const load = useCallback(async () => {
    for (let attempt = 1; ; attempt += 1) {
      const seen = changes.current;
      try {
        const fresh = await sessionsApi.get(id);
        if (changes.current !== seen && attempt < MAX_READS) continue; // read again: served after the event
        setSession(fresh);
        setError(null);
      } catch (failure) {
        setError(failure instanceof ApiError ? failure : new ApiError(0, "Could not load this number."));
      }
      return;
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  useLiveEvents(SESSION_EVENTS, (event) => {
    if (eventSessionId(event) !== id) return;
    changes.current += 1;
    if (event.type === "session_deleted") {
      setSession(null);
      setError(new ApiError(404, "This number was deleted."));
      return;
    }
    setSession((current) => (current ? applySessionEvent(current, event) : current));
  });

  return { session, error, reload: load };
}
