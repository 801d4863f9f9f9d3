import { useCallback, useEffect, useState } from "react";
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

/** One session, live: for the pairing and chat pages. */
export function useSession(id: string) {
  const [session, setSession] = useState<SessionPublic | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    try {
      setSession(await sessionsApi.get(id));
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, "Could not load this number."));
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  useLiveEvents(SESSION_EVENTS, (event) => {
    if (eventSessionId(event) !== id) return;
    if (event.type === "session_deleted") {
      setSession(null);
      setError(new ApiError(404, "This number was deleted."));
      return;
    }
    setSession((current) => (current ? applySessionEvent(current, event) : current));
  });

  return { session, error, reload: load };
}
