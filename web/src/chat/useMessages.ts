import { useCallback, useEffect, useRef, useState } from "react";
import { chatsApi } from "../api/endpoints";
import type { MessagePublic } from "../api/types";
import { useLiveEvents } from "../events/EventsProvider";
import { eventSessionId } from "../events/sessionEvents";

/** Merge messages by WhatsApp id (a live event and a page may both carry one), oldest first. */
export function mergeMessages(current: MessagePublic[], incoming: MessagePublic[]): MessagePublic[] {
  const byId = new Map(current.map((m) => [m.message_id, m]));
  for (const message of incoming) byId.set(message.message_id, { ...byId.get(message.message_id), ...message });
  return [...byId.values()].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.id - b.id);
}

/** An ack moves forward only (a late DEVICE never undoes READ). */
export function applyAck(messages: MessagePublic[], messageId: string, ack: number, ackName: string | null): MessagePublic[] {
  return messages.map((m) => (m.message_id === messageId && (m.ack ?? -2) < ack ? { ...m, ack, ack_name: ackName } : m));
}

/** One conversation: newest page first, older pages on demand, live messages and acks. */
export function useMessages(sessionId: string, chatId: string, onIncoming: () => void) {
  const [messages, setMessages] = useState<MessagePublic[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const incoming = useRef(onIncoming);
  incoming.current = onIncoming;

  useEffect(() => {
    let cancelled = false;
    setMessages(null);
    chatsApi.messages(sessionId, chatId).then(
      (page) => {
        if (cancelled) return;
        setMessages(mergeMessages([], page.items));
        setCursor(page.next_cursor);
        setError(null);
      },
      (failure: unknown) => !cancelled && setError(failure instanceof Error ? failure.message : "Could not load messages."),
    );
    return () => {
      cancelled = true;
    };
  }, [sessionId, chatId]);

  const loadOlder = useCallback(async () => {
    if (!cursor || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const page = await chatsApi.messages(sessionId, chatId, cursor);
      setMessages((list) => mergeMessages(list ?? [], page.items));
      setCursor(page.next_cursor);
    } finally {
      setLoadingOlder(false);
    }
  }, [sessionId, chatId, cursor, loadingOlder]);

  useLiveEvents(["message", "ack"], (event) => {
    if (eventSessionId(event) !== sessionId || event.data.chat_id !== chatId) return;
    if (event.type === "message") {
      const message = event.data.message as MessagePublic;
      setMessages((list) => mergeMessages(list ?? [], [message]));
      if (!message.from_me) incoming.current();
    } else {
      const { message_id, ack, ack_name } = event.data as { message_id: string; ack: number; ack_name: string | null };
      setMessages((list) => (list ? applyAck(list, message_id, ack, ack_name) : list));
    }
  });

  const added = useCallback((message: MessagePublic) => setMessages((list) => mergeMessages(list ?? [], [message])), []);

  return { messages, error, hasOlder: cursor !== null, loadingOlder, loadOlder, added };
}
