import type { SessionPublic } from "../api/types";

/** The five states a user sees on a session card. */
export type SessionBadge = "starting" | "scan_qr" | "connected" | "failed" | "stopped";

export const BADGE_LABEL: Record<SessionBadge, string> = {
  starting: "Starting",
  scan_qr: "Scan QR",
  connected: "Connected",
  failed: "Failed",
  stopped: "Stopped",
};

export const BADGE_COLOR: Record<SessionBadge, "accent" | "warning" | "success" | "danger" | "default"> = {
  starting: "accent",
  scan_qr: "warning",
  connected: "success",
  failed: "danger",
  stopped: "default",
};

type StatusFields = Pick<SessionPublic, "status" | "phase" | "wa_status" | "paused">;

/**
 * The badge for a session. WAHA's own status is the freshest (webhooks), then the operator's phase,
 * then the row's coarse status; a session stopped on purpose is "Stopped" whatever WAHA last said.
 */
export function sessionBadge(session: StatusFields): SessionBadge {
  if (session.paused) return "stopped";
  switch (session.wa_status) {
    case "SCAN_QR_CODE":
      return "scan_qr";
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
