import type { SessionPublic } from "../api/types";
import type { LiveEvent } from "./EventsProvider";

/** Which session an event is about: webhook events say `session_id`, mirror events `sessionId`. */
export function eventSessionId(event: LiveEvent): string | null {
  const id = event.data.session_id ?? event.data.sessionId;
  return typeof id === "string" ? id : null;
}

const str = (value: unknown): string | null | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : null;

/**
 * A session updated by a live event. `session` comes from WAHA's webhook (status + WAHA status),
 * `session.status` from the operator's resource (phase, phone, push name).
 */
export function applySessionEvent(session: SessionPublic, event: LiveEvent): SessionPublic {
  if (eventSessionId(event) !== session.id) return session;
  const data = event.data;
  const next = { ...session };
  if (event.type === "session") {
    next.status = (str(data.status) as SessionPublic["status"]) ?? session.status;
    next.wa_status = str(data.waha_status) ?? session.wa_status;
  } else if (event.type === "session.status") {
    next.status = (str(data.status) as SessionPublic["status"]) ?? session.status;
    const phase = str(data.phase);
    if (phase !== undefined && phase !== session.phase) {
      next.phase = phase;
      next.wa_status = null; // the operator's newer view replaces WAHA's last word
    }
    next.phone_number = str(data.phoneNumber) ?? session.phone_number;
    next.push_name = str(data.pushName) ?? session.push_name;
    next.display_name = str(data.displayName) ?? session.display_name;
    next.last_connected_at = str(data.lastConnectedAt) ?? session.last_connected_at;
  }
  if (next.status === "connected" || next.wa_status === "WORKING") next.paused = false;
  return next;
}
