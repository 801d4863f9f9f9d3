import { useCallback, useEffect, useRef, useState } from "react";
import { chatsApi } from "../api/endpoints";
import type { MessagePublic } from "../api/types";

export type MediaState =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "ready"; url: string }
  | { kind: "error"; message: string };

/** Whether the API holds a file for this message at all (WAHA may have sent a media message without one). */
export function hasMedia(message: MessagePublic): boolean {
  return message.type !== "text" && (message.media_url !== null || message.media_mimetype !== null);
}

/**
 * A message's media as an object URL: fetched with the bearer token from the API's media route, then
 * revoked when the message leaves the screen (or the component unmounts), so blobs never pile up.
 * `auto` loads at once (images, audio, video); otherwise `load()` fetches on demand (documents).
 */
export function useMediaUrl(message: MessagePublic, auto: boolean) {
  const [state, setState] = useState<MediaState>({ kind: "idle" });
  const controller = useRef<AbortController | null>(null);
  const current = useRef<string | null>(null);

  const load = useCallback(async (): Promise<string | null> => {
    if (current.current) return current.current;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setState({ kind: "loading" });
    try {
      const blob = await chatsApi.media(message.session_id, message.id, abort.signal);
      if (abort.signal.aborted) return null;
      const url = URL.createObjectURL(blob);
      current.current = url;
      setState({ kind: "ready", url });
      return url;
    } catch (failure) {
      if (abort.signal.aborted) return null;
      setState({ kind: "error", message: failure instanceof Error ? failure.message : "Could not load the file." });
      return null;
    }
  }, [message.session_id, message.id]);

  useEffect(() => {
    if (auto && hasMedia(message)) void load();
    else setState({ kind: "idle" });
    return () => {
      controller.current?.abort();
      if (current.current) URL.revokeObjectURL(current.current);
      current.current = null;
    };
  }, [auto, load]); // eslint-disable-line react-hooks/exhaustive-deps -- keyed by the message's ids

  return { state, load };
}
