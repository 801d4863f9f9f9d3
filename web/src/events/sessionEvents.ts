import type { SessionPublic } from "../api/types";
import type { LiveEvent } from "./EventsProvider";

/** The live event types about sessions (docs/api.md, "Live events"). */
export const SESSION_EVENTS = ["session", "session_deleted"];

/** Which session an event is about: every live event about a session names it in `session_id`. */
export function eventSessionId(event: LiveEvent): string | null {
  const id = event.data.session_id;
  return typeof id === "string" ? id : null;
}

/**
 * A session updated by a `session` live event: the event carries the whole session (a SessionPublic, as
 * `GET /api/sessions` lists it), from one source — the API's projection of the resource — so it replaces
 * the current copy and nothing is merged.
 */
export function applySessionEvent(session: SessionPublic, event: LiveEvent): SessionPublic {
  if (event.type !== "session" || eventSessionId(event) !== session.id) return session;
  const next = event.data.session;
  return next && typeof next === "object" ? (next as SessionPublic) : session;
}

