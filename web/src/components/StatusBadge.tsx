import { Chip } from "@heroui/react";
import { BADGE_COLOR, BADGE_LABEL, type SessionBadge } from "../lib/status";

const DOT: Record<SessionBadge, string> = {
  starting: "bg-accent animate-pulse",
  scan_qr: "bg-warning animate-pulse",
  re_pair: "bg-danger animate-pulse",
  connected: "bg-success",
  failed: "bg-danger",
  stopped: "bg-muted",
};

/** The live status of a session, as text (never colour alone) with a status dot. */
export function StatusBadge({ badge }: { badge: SessionBadge }) {
  return (
    <Chip color={BADGE_COLOR[badge]} variant="soft" size="sm" data-testid="session-status" data-status={badge}>
      <span aria-hidden className={`inline-block size-1.5 rounded-full ${DOT[badge]}`} />
      <Chip.Label>{BADGE_LABEL[badge]}</Chip.Label>
    </Chip>
  );
}
