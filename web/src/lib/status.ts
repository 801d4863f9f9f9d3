import type { SessionPublic } from "../api/types";

/** The states a user sees on a session card. */
export type SessionBadge = "starting" | "scan_qr" | "re_pair" | "connected" | "failed" | "stopped";

export const BADGE_LABEL: Record<SessionBadge, string> = {
  starting: "Starting",
  scan_qr: "Scan QR",
  re_pair: "Re-pair this number",
  connected: "Connected",
  failed: "Failed",
  stopped: "Stopped",
};

export const BADGE_COLOR: Record<SessionBadge, "accent" | "warning" | "success" | "danger" | "default"> = {
  starting: "accent",
  scan_qr: "warning",
  re_pair: "danger",
  connected: "success",
  failed: "danger",
  stopped: "default",
};

/**
 * The badge of each phase. The phase is the operator's (`.status.phase`, mapped from WAHA's status once,
 * in conectafy/phase.py); the dashboard only picks a label and a colour for it.
 */
export const BADGE_OF_PHASE: Record<string, SessionBadge> = {
  Pending: "starting",
  Starting: "starting",
  ScanQR: "scan_qr",
  Connected: "connected",
  Failed: "failed",
  Stopped: "stopped",
};

/**
 * One line that tells the user what WhatsApp waits for in a passkey state (WAHA 2026.7+, GOWS). The
 * operator reports both as phase ScanQR; the raw `wa_status` only picks the words, never the state.
 */
export const PASSKEY_HINT: Record<string, string> = {
  PASSKEY_REQUIRED: "WhatsApp asks for your passkey: open WhatsApp on your phone and confirm with your fingerprint, face or screen lock.",
  PASSKEY_CONFIRMATION_REQUIRED: "Open WhatsApp on your phone and approve the new linked device to finish connecting.",
};

/** The passkey hint of a ScanQR session whose WAHA waits for the phone, else null (a QR to scan). */
export function passkeyHint(session: Pick<SessionPublic, "phase" | "wa_status">): string | null {
  return session.phase === "ScanQR" ? PASSKEY_HINT[session.wa_status ?? ""] ?? null : null;
}

/**
 * The badge for a session: its phase, as the API sent it. A session whose phone unlinked this device
 * (the API's `reason`: the Connected condition's, `DeviceUnlinked`) asks to be paired again instead.
 */
export function sessionBadge(session: { phase: string | null; reason?: string | null }): SessionBadge {
  if (session.reason === "DeviceUnlinked" && session.phase !== "Connected") return "re_pair";
  return BADGE_OF_PHASE[session.phase ?? "Pending"] ?? "starting";
}
