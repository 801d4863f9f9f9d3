import { Icon } from "./Icon";

export function Logo({ compact = false }: { compact?: boolean }) {
  return (
    <span className="inline-flex items-center gap-2 font-semibold tracking-tight">
      <span className="grid size-8 place-items-center rounded-xl bg-accent text-accent-foreground shadow-sm">
        <Icon name="whatsapp" className="size-5" />
      </span>
      {!compact && <span className="text-lg">Conectafy</span>}
    </span>
  );
}
