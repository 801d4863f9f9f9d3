import { fetchEventSource } from "@microsoft/fetch-event-source";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { accessToken, refreshAccessToken } from "../api/client";

/** One live event from `GET /api/events` (its SSE `event` is the type; data is JSON). */
export interface LiveEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export type StreamState = "connecting" | "open" | "reconnecting";
type Handler = (event: LiveEvent) => void;

interface EventsContextValue {
  state: StreamState;
  subscribe: (handler: Handler) => () => void;
}

const EventsContext = createContext<EventsContextValue | null>(null);

class RetriableError extends Error {}

/** Seconds between reconnect attempts grow to this ceiling (ms). */
const MAX_BACKOFF_MS = 10_000;

/**
 * Holds the one live-event stream of the signed-in user. The API wants the bearer token in a header
 * (EventSource cannot send one), so the stream is fetch-based; the library resends Last-Event-ID on
 * reconnect, so nothing is missed while the connection was down.
 */
export function EventsProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<StreamState>("connecting");
  const handlers = useRef(new Set<Handler>());
  const [value] = useState<Omit<EventsContextValue, "state">>(() => ({
    subscribe: (handler) => {
      handlers.current.add(handler);
      return () => handlers.current.delete(handler);
    },
  }));

  useEffect(() => {
    const controller = new AbortController();
    const headers: Record<string, string> = {};
    let failures = 0;
    void (async () => {
      const token = await accessToken();
      if (token) headers.Authorization = `Bearer ${token}`;
      await fetchEventSource("/api/events", {
        headers,
        signal: controller.signal,
        openWhenHidden: true,
        async onopen(response) {
          if (response.ok) {
            failures = 0;
            setState("open");
            return;
          }
          if (response.status === 401) {
            const renewed = await refreshAccessToken();
            if (renewed) headers.Authorization = `Bearer ${renewed}`;
          }
          throw new RetriableError(`live events answered ${response.status}`);
        },
        onmessage(message) {
          if (!message.event || message.event === "ready") return;
          let data: Record<string, unknown> = {};
          try {
            data = JSON.parse(message.data) as Record<string, unknown>;
          } catch {
            return; // not ours to show
          }
          const event = { id: message.id, type: message.event, data };
          handlers.current.forEach((handler) => handler(event));
        },
        onclose() {
          throw new RetriableError("live events ended"); // the server restarted: reconnect
        },
        onerror() {
          failures += 1;
          setState("reconnecting");
          return Math.min(500 * 2 ** Math.min(failures, 5), MAX_BACKOFF_MS);
        },
      });
    })();
    return () => controller.abort();
  }, []);

  return <EventsContext.Provider value={{ ...value, state }}>{children}</EventsContext.Provider>;
}

export function useStreamState(): StreamState {
  return useContext(EventsContext)?.state ?? "connecting";
}

/** Calls `handler` for every live event of the given types while the component is mounted. */
export function useLiveEvents(types: string[], handler: Handler): void {
  const context = useContext(EventsContext);
  const latest = useRef(handler);
  latest.current = handler;
  const key = types.join(",");
  useEffect(() => {
    if (!context) return;
    const wanted = new Set(key.split(","));
    return context.subscribe((event) => {
      if (wanted.has(event.type)) latest.current(event);
    });
  }, [context, key]);
}
