import { useState } from "react";
import type { MessagePublic } from "../api/types";
import { Icon } from "../components/Icon";
import type { IconName } from "../icons/names";
import { formatClock } from "../lib/format";

/** WhatsApp's ack levels: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
export function ackLabel(ack: number | null): { icon: IconName; label: string; className: string } {
  if (ack === null || ack === 0) return { icon: "clock", label: "Sending", className: "text-muted" };
  if (ack < 0) return { icon: "danger", label: "Not delivered", className: "text-danger" };
  if (ack === 1) return { icon: "checkSingle", label: "Sent", className: "text-muted" };
  if (ack === 2) return { icon: "check", label: "Delivered", className: "text-muted" };
  return { icon: "check", label: ack === 3 ? "Read" : "Played", className: "text-sky-500" };
}

const KIND_ICON: Record<string, IconName> = { image: "gallery", audio: "microphone", video: "video", document: "document" };

function FileCard({ message, url }: { message: MessagePublic; url: string | null }) {
  const name = message.media_filename ?? `${message.type} (${message.media_mimetype ?? "file"})`;
  const body = (
    <span className="flex items-center gap-3 rounded-xl bg-default/60 p-3">
      <span className="grid size-10 place-items-center rounded-lg bg-accent-soft text-accent"><Icon name={KIND_ICON[message.type] ?? "document"} className="size-5" /></span>
      <span className="min-w-0 flex-1"><span className="block truncate text-sm font-medium">{name}</span><span className="text-xs text-muted">{message.media_mimetype ?? message.type}</span></span>
      {url && <Icon name="download" className="size-5 text-muted" />}
    </span>
  );
  return url ? <a href={url} target="_blank" rel="noreferrer" download={message.media_filename ?? undefined} aria-label={`Download ${name}`}>{body}</a> : body;
}

/**
 * Whether the browser may load a media URL: a local preview or a same-origin API URL. WAHA's own
 * media URLs point inside the cluster (and need WAHA's API key), so they are never requested.
 */
export function browserCanLoad(url: string | null | undefined, origin = window.location.origin): url is string {
  return !!url && (url.startsWith("blob:") || (url.startsWith("/") && !url.startsWith("//")) || url.startsWith(`${origin}/`));
}

/** Inline media when the browser can load it; otherwise a file card that names the file. */
function Media({ message, localUrl }: { message: MessagePublic; localUrl?: string }) {
  const [broken, setBroken] = useState(false);
  const candidate = localUrl ?? message.media_url;
  const url = browserCanLoad(candidate) && !broken ? candidate : null;
  if (!url || message.type === "document") return <FileCard message={message} url={url} />;
  const label = message.media_filename ?? `${message.type} message`;
  if (message.type === "image")
    return <img src={url} alt={message.body || label} onError={() => setBroken(true)} className="max-h-80 w-full rounded-xl object-cover" loading="lazy" />;
  if (message.type === "video")
    return <video src={url} controls preload="metadata" onError={() => setBroken(true)} className="max-h-80 w-full rounded-xl" aria-label={label} />;
  return <audio src={url} controls preload="metadata" onError={() => setBroken(true)} className="w-64 max-w-full" aria-label={label} />;
}

export function MessageBubble({ message, localUrl }: { message: MessagePublic; localUrl?: string }) {
  const mine = message.from_me;
  const ack = ackLabel(message.ack);
  const caption = message.type === "text" || message.body;
  return (
    <li className={`flex ${mine ? "justify-end" : "justify-start"}`} data-testid="message" data-from-me={mine}>
      <div className={`max-w-[85%] rounded-2xl px-3 py-2 shadow-sm sm:max-w-[70%] ${mine ? "rounded-br-md bg-bubble-out" : "rounded-bl-md bg-surface"}`}>
        {message.type !== "text" && <div className="mb-1"><Media message={message} localUrl={localUrl} /></div>}
        {caption && <p className="whitespace-pre-wrap break-words text-[0.925rem] leading-relaxed">{message.body}</p>}
        <span className="mt-0.5 flex items-center justify-end gap-1 text-[0.7rem] text-muted">
          <time dateTime={message.timestamp}>{formatClock(message.timestamp)}</time>
          {mine && <span title={ack.label} data-testid="ack" data-ack={message.ack ?? 0}><Icon name={ack.icon} label={ack.label} className={`size-4 ${ack.className}`} /></span>}
        </span>
      </div>
    </li>
  );
}
