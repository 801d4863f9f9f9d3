import type { SessionPublic } from "../api/types";
import type { LiveEvent } from "./EventsProvider";

/** The live event types about sessions (docs/api.md, "Live events"). */
export const SESSION_EVENTS = ["session", "session_deleted"];

/** Which session an event is about: every live event about a session names it in `session_id`. */
export function eventSessionId(event: LiveEvent): string | null {
  const id = event.data.session_id;
  return typeof id === "string" ? id : null;
}

const str = (value: unknown): string | null | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : null;

/**
 * A session updated by a `session` live event. Both sources send the same snake_case shape: WAHA's
 * webhook says `status` and `waha_status`; the operator's resource (the CR→row mirror) also says
 * `phase`, `phone_number`, `push_name`, `display_name`, `last_connected_at` and `paused`. A key that
 * is absent keeps the current value. The mirror's `reason` (the Connected condition's, e.g.
 * `DeviceUnlinked`) updates the conditions the badge reads.
 */
export function applySessionEvent(session: SessionPublic, event: LiveEvent): SessionPublic {
  if (event.type !== "session" || eventSessionId(event) !== session.id) return session;
  const data = event.data;
  const next: SessionPublic = {
    ...session,
    status: (str(data.status) as SessionPublic["status"]) ?? session.status,
    phase: str(data.phase) ?? session.phase,
    phone_number: str(data.phone_number) ?? session.phone_number,
    push_name: str(data.push_name) ?? session.push_name,
    display_name: str(data.display_name) ?? session.display_name,
    last_connected_at: str(data.last_connected_at) ?? session.last_connected_at,
  };
  if ("waha_status" in data) next.wa_status = str(data.waha_status) ?? null;
  if (typeof data.reason === "string") next.conditions = withConnectedReason(session.conditions, data.reason);
  if (typeof data.paused === "boolean") next.paused = data.paused;
  else if (next.status === "connected" || next.wa_status === "WORKING") next.paused = false;
  return next;
}

/** The conditions with the Connected condition's reason replaced (added when there is none yet). */
function withConnectedReason(conditions: SessionPublic["conditions"], reason: string): SessionPublic["conditions"] {
  const others = (conditions ?? []).filter((c) => c.type !== "Connected");
  const connected = (conditions ?? []).find((c) => c.type === "Connected") ?? { type: "Connected" };
  return [...others, { ...connected, reason }];
}
