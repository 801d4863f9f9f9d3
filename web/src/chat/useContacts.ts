import { useCallback, useEffect, useRef, useState } from "react";
import { chatsApi } from "../api/endpoints";
import type { ContactPublic, MessagePublic } from "../api/types";
import { useLiveEvents } from "../events/EventsProvider";
import { eventSessionId } from "../events/sessionEvents";

/** A contact after a live message: newest preview on top; unread grows unless it is ours or open. */
export function applyMessage(contacts: ContactPublic[], message: MessagePublic, openChatId: string | null): ContactPublic[] | null {
  const contact = contacts.find((c) => c.chat_id === message.chat_id);
  if (!contact) return null; // a new chat: only the server's list has it
  const unread = message.from_me || message.chat_id === openChatId ? contact.unread_count : contact.unread_count + 1;
  const preview = message.body || `[${message.type}]`;
  const updated = { ...contact, last_message_at: message.timestamp, last_message_preview: preview, unread_count: unread };
  return [updated, ...contacts.filter((c) => c.chat_id !== message.chat_id)];
}

/** The open chat is being read right now: it never shows a badge, even if the list raced mark-read. */
function withOpenChatRead(contacts: ContactPublic[], openChatId: string | null): ContactPublic[] {
  return contacts.map((c) => (c.chat_id === openChatId && c.unread_count ? { ...c, unread_count: 0 } : c));
}

/**
 * The session's chats (search is server-side), kept current by live `message` events. An event is
 * applied at once (snappy), and the list is re-read from the API, which owns the unread counts:
 * reads never overlap, and an event that arrives during one triggers another, so the last read
 * always starts after the last event and the list ends up exact.
 */
export function useContacts(sessionId: string, search: string, openChatId: string | null) {
  const [contacts, setContacts] = useState<ContactPublic[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const params = useRef({ sessionId, search, openChatId });
  params.current = { sessionId, search, openChatId };
  const reading = useRef(false);
  const stale = useRef(false);

  const load = useCallback(async () => {
    if (reading.current) {
      stale.current = true;
      return;
    }
    reading.current = true;
    try {
      do {
        stale.current = false;
        const { sessionId: id, search: query } = params.current;
        const page = await chatsApi.contacts(id, { search: query });
        setContacts(withOpenChatRead(page.items, params.current.openChatId));
        setCursor(page.next_cursor);
        setError(null);
      } while (stale.current);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not load chats.");
    } finally {
      reading.current = false;
    }
  }, []);

  useEffect(() => {
    const timer = window.setTimeout(() => void load(), search ? 250 : 0);
    return () => window.clearTimeout(timer);
  }, [load, sessionId, search]);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    const page = await chatsApi.contacts(sessionId, { search, cursor });
    setContacts((list) => [...(list ?? []), ...page.items]);
    setCursor(page.next_cursor);
  }, [sessionId, search, cursor]);

  useLiveEvents(["message"], (event) => {
    if (eventSessionId(event) !== sessionId) return;
    const message = event.data.message as MessagePublic | undefined;
    if (!message) return;
    if (!search) setContacts((list) => (list ? (applyMessage(list, message, openChatId) ?? list) : list));
    void load();
  });

  const markedRead = useCallback((chatId: string) => {
    setContacts((list) => list?.map((c) => (c.chat_id === chatId ? { ...c, unread_count: 0 } : c)) ?? list);
  }, []);

  return { contacts, error, hasMore: cursor !== null, loadMore, markedRead, reload: load };
}
