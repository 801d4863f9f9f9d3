import { Button, Skeleton } from "@heroui/react";
import type { MessagePublic } from "../api/types";
import { Icon } from "../components/Icon";
import type { IconName } from "../icons/names";
import { hasMedia, useMediaUrl } from "./useMediaUrl";

const KIND_ICON: Record<string, IconName> = { image: "gallery", audio: "microphone", video: "video", document: "document" };
const KIND_NAME: Record<string, string> = { image: "Photo", audio: "Voice message", video: "Video", document: "Document" };

export const mediaLabel = (message: MessagePublic) => message.media_filename ?? KIND_NAME[message.type] ?? "File";

/** Saves a blob URL under the file's name (an <a download> click; the URL stays owned by the hook). */
function saveAs(url: string, name: string) {
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
}

interface CardProps {
  message: MessagePublic;
  note?: string;
  action?: { label: string; icon: IconName; busy?: boolean; onPress: () => void };
}

/** A file as a card: what it is, its name, and one action (download, or retry after an error). */
function FileCard({ message, note, action }: CardProps) {
  const name = mediaLabel(message);
  return (
    <span className="flex items-center gap-3 rounded-xl bg-default/60 p-3" data-testid="media-card">
      <span className="grid size-10 shrink-0 place-items-center rounded-lg bg-accent-soft text-accent"><Icon name={KIND_ICON[message.type] ?? "document"} className="size-5" /></span>
      <span className="min-w-0 flex-1">
        <span className="block truncate text-sm font-medium">{name}</span>
        <span className={`block truncate text-xs ${note ? "text-danger" : "text-muted"}`}>{note ?? message.media_mimetype ?? message.type}</span>
      </span>
      {action && (
        <Button isIconOnly size="sm" variant="ghost" aria-label={`${action.label} ${name}`} isPending={action.busy} onPress={action.onPress}>
          <Icon name={action.icon} className="size-5" />
        </Button>
      )}
    </span>
  );
}

/** A document: nothing is fetched until the user asks for it; then it is saved under its own name. */
function DocumentMedia({ message }: { message: MessagePublic }) {
  const { state, load } = useMediaUrl(message, false);
  const download = async () => {
    const url = await load();
    if (url) saveAs(url, message.media_filename ?? "document");
  };
  const note = state.kind === "error" ? `Download failed: ${state.message}` : undefined;
  return <FileCard message={message} note={note} action={{ label: "Download", icon: "download", busy: state.kind === "loading", onPress: () => void download() }} />;
}

function Player({ message, url }: { message: MessagePublic; url: string }) {
  const label = mediaLabel(message);
  if (message.type === "image")
    return <img src={url} alt={message.body || label} className="block max-h-80 w-80 max-w-full rounded-xl object-cover" data-testid="media-image" />;
  if (message.type === "video")
    return <video src={url} controls preload="metadata" className="block max-h-80 w-80 max-w-full rounded-xl bg-black" aria-label={label} data-testid="media-video" />;
  return <audio src={url} controls preload="metadata" className="w-64 max-w-full" aria-label={label} data-testid="media-audio" />;
}

/** Images, videos and voice notes inline: a skeleton while the file loads, a file card with a retry if it fails. */
function InlineMedia({ message }: { message: MessagePublic }) {
  const { state, load } = useMediaUrl(message, true);
  if (state.kind === "ready") return <Player message={message} url={state.url} />;
  if (state.kind === "error")
    return <FileCard message={message} note={`Could not load: ${state.message}`} action={{ label: "Retry", icon: "refresh", onPress: () => void load() }} />;
  const shape = message.type === "audio" ? "h-12 w-64 max-w-full" : "h-52 w-80 max-w-full";
  return <Skeleton className={`${shape} rounded-xl`} aria-label={`Loading ${mediaLabel(message).toLowerCase()}`} data-testid="media-loading" />;
}

/**
 * The media of one message. Everything goes through the API's media route; a file the sender's own
 * browser just uploaded is shown from its local object URL (`localUrl`) instead of being fetched back.
 */
export function MessageMedia({ message, localUrl }: { message: MessagePublic; localUrl?: string }) {
  if (localUrl && message.type !== "document") return <Player message={message} url={localUrl} />;
  if (!hasMedia(message)) return <FileCard message={message} note="The file is not available." />;
  if (message.type === "document") return <DocumentMedia message={message} />;
  return <InlineMedia message={message} />;
}
