import { describe, expect, it } from "vitest";
import { sessionBadge } from "./status";

const base = { status: "connecting" as const, phase: null, wa_status: null, paused: null };

describe("sessionBadge", () => {
  it.each([
    [{ ...base }, "starting"],
    [{ ...base, phase: "Pending" }, "starting"],
    [{ ...base, phase: "ScanQR" }, "scan_qr"],
    [{ ...base, wa_status: "SCAN_QR_CODE" }, "scan_qr"],
    [{ ...base, status: "connected" as const }, "connected"],
    [{ ...base, phase: "ScanQR", wa_status: "WORKING" }, "connected"],
    [{ ...base, status: "error" as const }, "failed"],
    [{ ...base, phase: "Failed" }, "failed"],
    [{ ...base, status: "disconnected" as const, phase: "Stopped" }, "stopped"],
    [{ ...base, status: "connected" as const, phase: "Connected", paused: true }, "stopped"],
  ])("%o is %s", (session, badge) => {
    expect(sessionBadge(session)).toBe(badge);
  });
});
