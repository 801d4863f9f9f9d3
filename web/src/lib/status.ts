import type { SessionPublic } from "../api/types";

/** The states a user sees on a session card. */
export type SessionBadge = "starting" | "scan_qr" | "confirm_phone" | "re_pair" | "connected" | "failed" | "stopped";

export const BADGE_LABEL: Record<SessionBadge, string> = {
  starting: "Starting",
  scan_qr: "Scan QR",
  confirm_phone: "Confirm on your phone",
  re_pair: "Re-pair this number",
  connected: "Connected",
  failed: "Failed",
  stopped: "Stopped",
};

export const BADGE_COLOR: Record<SessionBadge, "accent" | "warning" | "success" | "danger" | "default"> = {
  starting: "accent",
  scan_qr: "warning",
  confirm_phone: "warning",
  re_pair: "danger",
  connected: "success",
  failed: "danger",
  stopped: "default",
};

type StatusFields = Pick<SessionPublic, "status" | "phase" | "wa_status" | "paused"> & {
  conditions?: SessionPublic["conditions"];
};

/**
 * The phone removed this linked device (condition reason `DeviceUnlinked`, docs/operations.md): the
 * operator logged WAHA out and a new QR waits. Restarting never helps; the user must pair again.
 */
export function deviceUnlinked(session: StatusFields): boolean {
  return (session.conditions ?? []).some((c) => c.type === "Connected" && c.reason === "DeviceUnlinked");
}

/**
 * One line that tells the user what WhatsApp waits for in a passkey state (WAHA 2026.7+, GOWS). The
 * operator maps both to phase ScanQR, but there is no QR to scan: the phone must confirm the link.
 */
export const PASSKEY_HINT: Record<string, string> = {
  PASSKEY_REQUIRED: "WhatsApp asks for your passkey: open WhatsApp on your phone and confirm with your fingerprint, face or screen lock.",
  PASSKEY_CONFIRMATION_REQUIRED: "Open WhatsApp on your phone and approve the new linked device to finish connecting.",
};

/** What to tell the user about a "confirm_phone" session, whichever passkey state WAHA reported. */
export function confirmHint(waStatus: string | null): string {
  return PASSKEY_HINT[waStatus ?? ""] ?? PASSKEY_HINT.PASSKEY_CONFIRMATION_REQUIRED;
}

/**
 * The badge for a session. WAHA's own status is the freshest (webhooks), then the operator's phase,
 * then the row's coarse status; a session stopped on purpose is "Stopped" whatever WAHA last said.
 */
export function sessionBadge(session: StatusFields): SessionBadge {
  if (session.paused) return "stopped";
  if (deviceUnlinked(session) && session.wa_status !== "WORKING") return "re_pair";
  switch (session.wa_status) {
    case "STARTING": // e.g. right after the phone linked: the resource's phase is still ScanQR
      return "starting";
    case "SCAN_QR_CODE":
      return "scan_qr";
    case "PASSKEY_REQUIRED":
    case "PASSKEY_CONFIRMATION_REQUIRED":
      return "confirm_phone";
    case "WORKING":
      return "connected";
    case "FAILED":
      return "failed";
    case "STOPPED":
      return "stopped";
  }
  switch (session.phase) {
    case "ScanQR":
      return "scan_qr";
    case "Connected":
      return "connected";
    case "Failed":
      return "failed";
    case "Stopped":
      return "stopped";
  }
  if (session.status === "connected") return "connected";
  if (session.status === "error") return "failed";
  if (session.status === "disconnected" && session.phase !== null) return "stopped";
  return "starting";
}
