import type { MessagePublic } from "../api/types";
import { Icon } from "../components/Icon";
import type { IconName } from "../icons/names";
import { formatClock } from "../lib/format";
import { MessageMedia } from "./MessageMedia";

/** WhatsApp's ack levels: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
export function ackLabel(ack: number | null): { icon: IconName; label: string; className: string } {
  if (ack === null || ack === 0) return { icon: "clock", label: "Sending", className: "text-muted" };
  if (ack < 0) return { icon: "danger", label: "Not delivered", className: "text-danger" };
  if (ack === 1) return { icon: "checkSingle", label: "Sent", className: "text-muted" };
  if (ack === 2) return { icon: "check", label: "Delivered", className: "text-muted" };
  return { icon: "check", label: ack === 3 ? "Read" : "Played", className: "text-sky-500" };
}

export function MessageBubble({ message, localUrl }: { message: MessagePublic; localUrl?: string }) {
  const mine = message.from_me;
  const ack = ackLabel(message.ack);
  const caption = message.type === "text" || message.body;
  return (
    <li className={`flex ${mine ? "justify-end" : "justify-start"}`} data-testid="message" data-from-me={mine}>
      <div className={`max-w-[85%] rounded-2xl px-3 py-2 shadow-sm sm:max-w-[70%] ${mine ? "rounded-br-md bg-bubble-out" : "rounded-bl-md bg-surface"}`}>
        {message.type !== "text" && <div className="mb-1"><MessageMedia message={message} localUrl={localUrl} /></div>}
        {caption && <p className="whitespace-pre-wrap break-words text-[0.925rem] leading-relaxed">{message.body}</p>}
        <span className="mt-0.5 flex items-center justify-end gap-1 text-[0.7rem] text-muted">
          <time dateTime={message.timestamp}>{formatClock(message.timestamp)}</time>
          {mine && <span title={ack.label} data-testid="ack" data-ack={message.ack ?? 0}><Icon name={ack.icon} label={ack.label} className={`size-4 ${ack.className}`} /></span>}
        </span>
      </div>
    </li>
  );
}
