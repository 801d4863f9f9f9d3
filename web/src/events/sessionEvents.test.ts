import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { sessionBadge } from "../lib/status";
import { applySessionEvent, eventSessionId } from "./sessionEvents";

const session: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "ScanQR",
  wa_status: null, paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};

describe("applySessionEvent", () => {
  it("takes WAHA's status from a webhook's session event", () => {
    const event = { id: "1", type: "session", data: { session_id: "s1", session_name: "support-ab12c", status: "connected", waha_status: "WORKING" } };
    expect(applySessionEvent(session, event)).toEqual({ ...session, status: "connected", wa_status: "WORKING" });
  });

  it("takes phase, phone, push name and paused from the resource's session event", () => {
    const event = {
      id: "2", type: "session",
      data: { session_id: "s1", session_name: "support-ab12c", display_name: "Support", status: "connected", phase: "Connected",
        phone_number: "15550001111", push_name: "Acme", last_connected_at: "2026-11-28T10:01:00Z", waha_status: "WORKING", paused: false },
    };
    expect(applySessionEvent({ ...session, wa_status: "SCAN_QR_CODE" }, event)).toEqual({
      ...session, status: "connected", phase: "Connected", wa_status: "WORKING", phone_number: "15550001111",
      push_name: "Acme", last_connected_at: "2026-11-28T10:01:00Z",
    });
  });

  it("marks a session stopped on purpose from the resource's paused flag", () => {
    const event = { id: "3", type: "session", data: { session_id: "s1", status: "disconnected", phase: "Stopped", waha_status: null, paused: true } };
    expect(applySessionEvent(session, event)).toEqual({ ...session, status: "disconnected", phase: "Stopped", paused: true });
  });

  it("takes the Connected reason, so a device the phone unlinked asks to be paired again", () => {
    const event = { id: "5", type: "session", data: { session_id: "s1", status: "connecting", phase: "ScanQR", waha_status: "SCAN_QR_CODE", reason: "DeviceUnlinked" } };
    const next = applySessionEvent(session, event);
    expect([next.conditions.filter((c) => c.type === "Connected"), sessionBadge(next)]).toEqual([
      [{ type: "Connected", reason: "DeviceUnlinked" }],
      "re_pair",
    ]);
  });

  it("ignores another session's event", () => {
    const event = { id: "4", type: "session", data: { session_id: "s2", status: "error", waha_status: "FAILED" } };
    expect(applySessionEvent(session, event)).toBe(session);
  });
});

describe("eventSessionId", () => {
  it("reads session_id, the one key every session-scoped event carries", () => {
    expect([
      eventSessionId({ id: "1", type: "message", data: { session_id: "s1", chat_id: "x@c.us" } }),
      eventSessionId({ id: "2", type: "session", data: { sessionId: "s1" } }),
    ]).toEqual(["s1", null]);
  });
});
