import { describe, expect, it } from "vitest";
import { BADGE_OF_PHASE, PASSKEY_HINT, passkeyHint, sessionBadge } from "./status";

describe("sessionBadge", () => {
  it.each([
    ["Pending", "starting"],
    ["Starting", "starting"],
    ["ScanQR", "scan_qr"],
    ["Connected", "connected"],
    ["Failed", "failed"],
    ["Stopped", "stopped"],
  ])("renders phase %s as %s", (phase, badge) => {
    expect(sessionBadge({ phase })).toBe(badge);
  });

  it("shows a session without a phase yet as starting", () => {
    expect(sessionBadge({ phase: null })).toBe("starting");
  });

  it("has a badge for every phase and nothing else", () => {
    expect(Object.keys(BADGE_OF_PHASE)).toEqual(["Pending", "Starting", "ScanQR", "Connected", "Failed", "Stopped"]);
  });

  it("asks to re-pair a session whose phone unlinked the device, until it is connected again", () => {
    expect([
      sessionBadge({ phase: "ScanQR", reason: "DeviceUnlinked" }),
      sessionBadge({ phase: "Connected", reason: "DeviceUnlinked" }),
    ]).toEqual(["re_pair", "connected"]);
  });
});

describe("passkeyHint", () => {
  it("words a passkey wait of a ScanQR session, and nothing else", () => {
    expect([
      passkeyHint({ phase: "ScanQR", wa_status: "PASSKEY_REQUIRED" }),
      passkeyHint({ phase: "ScanQR", wa_status: "SCAN_QR_CODE" }),
      passkeyHint({ phase: "Connected", wa_status: "PASSKEY_REQUIRED" }),
    ]).toEqual([PASSKEY_HINT.PASSKEY_REQUIRED, null, null]);
  });
});
