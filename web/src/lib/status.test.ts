import { describe, expect, it } from "vitest";
import { BADGE_LABEL, confirmHint, sessionBadge } from "./status";

const base = { status: "connecting" as const, phase: null, wa_status: null, paused: null };

describe("sessionBadge", () => {
  it.each([
    [{ ...base }, "starting"],
    [{ ...base, phase: "Pending" }, "starting"],
    [{ ...base, phase: "ScanQR" }, "scan_qr"],
    [{ ...base, wa_status: "SCAN_QR_CODE" }, "scan_qr"],
    [{ ...base, phase: "ScanQR", wa_status: "STARTING" }, "starting"],
    [{ ...base, phase: "ScanQR", wa_status: "PASSKEY_REQUIRED" }, "confirm_phone"],
    [{ ...base, phase: "ScanQR", wa_status: "PASSKEY_CONFIRMATION_REQUIRED" }, "confirm_phone"],
    [{ ...base, status: "connected" as const }, "connected"],
    [{ ...base, phase: "ScanQR", wa_status: "WORKING" }, "connected"],
    [{ ...base, status: "error" as const }, "failed"],
    [{ ...base, phase: "Failed" }, "failed"],
    [{ ...base, status: "disconnected" as const, phase: "Stopped" }, "stopped"],
    [{ ...base, status: "connected" as const, phase: "Connected", paused: true }, "stopped"],
    [{ ...base, phase: "ScanQR", wa_status: "SCAN_QR_CODE", conditions: [{ type: "Connected", reason: "DeviceUnlinked" }] }, "re_pair"],
    [{ ...base, phase: "ScanQR", wa_status: "WORKING", conditions: [{ type: "Connected", reason: "DeviceUnlinked" }] }, "connected"],
  ])("%o is %s", (session, badge) => {
    expect(sessionBadge(session)).toBe(badge);
  });
});

describe("passkey states", () => {
  it("are labelled for what the user must do, with a one-line reason per WAHA status", () => {
    expect([BADGE_LABEL.confirm_phone, confirmHint("PASSKEY_REQUIRED"), confirmHint("PASSKEY_CONFIRMATION_REQUIRED")]).toEqual([
      "Confirm on your phone",
      "WhatsApp asks for your passkey: open WhatsApp on your phone and confirm with your fingerprint, face or screen lock.",
      "Open WhatsApp on your phone and approve the new linked device to finish connecting.",
    ]);
  });
});
