import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { applySessionEvent, eventSessionId } from "./sessionEvents";

const session: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "ScanQR",
  wa_status: "SCAN_QR_CODE", paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};
const connected: SessionPublic = {
  ...session, status: "connected", phase: "Connected", wa_status: "WORKING", phone_number: "+15550001111",
  push_name: "Acme", last_connected_at: "2026-11-28T10:01:00Z", updated_at: "2026-11-28T10:01:00Z",
};

describe("applySessionEvent", () => {
  it("replaces the session with the one the event carries", () => {
    const event = { id: "2", type: "session", data: { session_id: "s1", session_name: "support-ab12c", session: connected } };
    expect(applySessionEvent(session, event)).toEqual(connected);
  });

  it("leaves other sessions and other events alone", () => {
    const other = { id: "3", type: "session", data: { session_id: "s2", session_name: "x", session: connected } };
    const message = { id: "4", type: "message", data: { session_id: "s1" } };
    expect([applySessionEvent(session, other), applySessionEvent(session, message)]).toEqual([session, session]);
  });
});

describe("eventSessionId", () => {
  it("reads session_id", () => {
    expect(eventSessionId({ id: "5", type: "session_deleted", data: { session_id: "s1" } })).toBe("s1");
  });
});
