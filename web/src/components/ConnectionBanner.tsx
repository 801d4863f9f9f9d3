import { Spinner } from "@heroui/react";
import { useStreamState } from "../events/EventsProvider";

/** Shown while the live-event stream is down: what the user sees may be stale until it is back. */
export function ConnectionBanner() {
  const state = useStreamState();
  if (state !== "reconnecting") return null;
  return (
    <div role="status" aria-live="polite"
      className="flex items-center justify-center gap-2 bg-warning-soft px-4 py-1.5 text-sm font-medium text-warning-soft-foreground">
      <Spinner size="sm" color="warning" />
      Connection lost — reconnecting… Live updates resume automatically.
    </div>
  );
}
