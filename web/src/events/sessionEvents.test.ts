import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { applySessionEvent } from "./sessionEvents";

const session: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "ScanQR",
  wa_status: null, paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};

describe("applySessionEvent", () => {
  it("takes WAHA's status from a webhook event", () => {
    const event = { id: "1", type: "session", data: { session_id: "s1", status: "connected", waha_status: "WORKING" } };
    expect(applySessionEvent(session, event)).toEqual({ ...session, status: "connected", wa_status: "WORKING" });
  });

  it("takes phase, phone and push name from the operator's mirror event", () => {
    const event = {
      id: "2", type: "session.status",
      data: { sessionId: "s1", status: "connected", phase: "Connected", phoneNumber: "15550001111", pushName: "Acme",
        displayName: "Support", lastConnectedAt: "2026-11-28T10:01:00Z" },
    };
    expect(applySessionEvent({ ...session, wa_status: "SCAN_QR_CODE" }, event)).toEqual({
      ...session, status: "connected", phase: "Connected", wa_status: null, phone_number: "15550001111",
      push_name: "Acme", last_connected_at: "2026-11-28T10:01:00Z",
    });
  });

  it("ignores another session's event", () => {
    const event = { id: "3", type: "session", data: { session_id: "s2", status: "error", waha_status: "FAILED" } };
    expect(applySessionEvent(session, event)).toBe(session);
  });
});
