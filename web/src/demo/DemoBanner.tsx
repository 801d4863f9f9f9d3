import { Icon } from "../components/Icon";
import { useDemo } from "./DemoProvider";

/** Always on top in demo mode: nobody should mistake the simulated WhatsApp for a real one. */
export function DemoBanner() {
  const demo = useDemo();
  if (!demo) return null;
  return (
    <div role="note" aria-label="Demo mode" data-testid="demo-banner"
      className="flex flex-wrap items-center justify-center gap-x-2 gap-y-0.5 bg-accent px-4 py-1.5 text-center text-sm text-accent-foreground">
      <Icon name="sparkles" className="size-4" />
      <strong>Demo</strong>
      <span>— {demo.simulated.join(", ")} are simulated; {demo.real.join(", ")} are real.</span>
    </div>
  );
}
