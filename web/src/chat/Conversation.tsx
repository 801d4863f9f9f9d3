import { Alert, Avatar, Skeleton, Spinner } from "@heroui/react";
import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { chatsApi } from "../api/endpoints";
import type { ContactPublic, MessagePublic } from "../api/types";
import { ButtonLink } from "../components/ButtonLink";
import { Icon } from "../components/Icon";
import { formatDay, formatPhone, initials } from "../lib/format";
import { Composer } from "./Composer";
import { MessageBubble } from "./MessageBubble";
import { useMessages } from "./useMessages";

interface Props {
  sessionId: string;
  chatId: string;
  contact: ContactPublic | undefined;
  sendDisabled: string | null;
  onRead: (chatId: string) => void;
}

function MessageSkeletons() {
  return (
    <ul className="flex flex-col gap-3 p-4" aria-busy="true" aria-label="Loading messages">
      {[48, 64, 36, 56].map((width, index) => (
        <li key={index} className={`flex ${index % 2 ? "justify-end" : ""}`}><Skeleton className="h-10 rounded-2xl" style={{ width: `${width}%` }} /></li>
      ))}
    </ul>
  );
}

/** One chat: bubbles oldest→newest, older pages when scrolled to the top, live messages, composer. */
export function Conversation({ sessionId, chatId, contact, sendDisabled, onRead }: Props) {
  const markRead = useCallback(() => {
    chatsApi.markRead(sessionId, chatId).then(() => onRead(chatId), () => undefined);
  }, [sessionId, chatId, onRead]);
  const { messages, error, hasOlder, loadingOlder, loadOlder, added } = useMessages(sessionId, chatId, markRead);
  const [localUrls, setLocalUrls] = useState<Record<string, string>>({});
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const atBottom = useRef(true);

  useEffect(markRead, [markRead]);

  // Previews of files this browser just sent are object URLs: free them when the chat closes.
  const ownUrls = useRef(localUrls);
  ownUrls.current = localUrls;
  useEffect(() => () => Object.values(ownUrls.current).forEach((url) => URL.revokeObjectURL(url)), [chatId]);

  // Keep the view steady: stick to the bottom for new messages, keep position when older ones load.
  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box || !messages) return;
    if (anchor.current) {
      box.scrollTop = box.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (atBottom.current) {
      box.scrollTop = box.scrollHeight;
    }
  }, [messages]);

  const loaded = messages !== null;
  // Media load after the first paint and grow their bubbles: a reader at the bottom stays at the bottom.
  useEffect(() => {
    const box = scroller.current;
    const list = box?.querySelector("ul[aria-label=Messages]");
    if (!box || !list || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current && !anchor.current) box.scrollTop = box.scrollHeight;
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, [loaded]);

  useEffect(() => {
    const box = scroller.current;
    const top = sentinel.current;
    if (!box || !top || !hasOlder) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !loadingOlder) {
        anchor.current = { height: box.scrollHeight, top: box.scrollTop };
        void loadOlder();
      }
    }, { root: box, rootMargin: "200px 0px 0px 0px" });
    observer.observe(top);
    return () => observer.disconnect();
  }, [hasOlder, loadingOlder, loadOlder, messages]);

  const title = contact?.name || formatPhone(contact?.phone_number ?? chatId.split("@")[0]);
  return (
    <section className="flex h-full min-w-0 flex-1 flex-col" aria-label={`Conversation with ${title}`}>
      <header className="flex items-center gap-3 border-b border-separator bg-background px-4 py-2.5">
        <ButtonLink href={`/sessions/${sessionId}/chats`} variant="ghost" className="md:hidden" aria-label="Back to chats"><Icon name="back" className="size-5" /></ButtonLink>
        <Avatar size="sm" color="accent"><Avatar.Fallback>{initials(contact?.name, contact?.phone_number ?? chatId)}</Avatar.Fallback></Avatar>
        <div className="min-w-0">
          <h2 className="truncate font-semibold">{title}</h2>
          {contact?.name && <p className="truncate text-xs text-muted">{formatPhone(contact.phone_number)}</p>}
        </div>
      </header>
      <div ref={scroller} className="chat-wall min-h-0 flex-1 overflow-y-auto" data-testid="message-scroller"
        onScroll={(event) => {
          const box = event.currentTarget;
          atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
        }}>
        {error && <Alert status="danger" className="m-4"><Alert.Indicator /><Alert.Content><Alert.Title>{error}</Alert.Title></Alert.Content></Alert>}
        {!messages && !error && <MessageSkeletons />}
        {messages && (
          <>
            <div ref={sentinel} className="h-1" />
            {loadingOlder && <div className="flex justify-center p-2"><Spinner size="sm" aria-label="Loading older messages" /></div>}
            {!hasOlder && messages.length > 0 && <p className="py-3 text-center text-xs text-muted">Beginning of the conversation</p>}
            <ul className="flex flex-col gap-1.5 px-3 py-3 sm:px-6" aria-label="Messages" aria-live="polite">
              {messages.map((message: MessagePublic, index) => (
                <Fragment key={message.message_id}>
                  {(index === 0 || formatDay(messages[index - 1].timestamp) !== formatDay(message.timestamp)) && (
                    <li className="sticky top-2 z-10 my-2 flex justify-center" aria-hidden>
                      <span className="rounded-full bg-surface px-3 py-1 text-xs font-medium text-muted shadow-sm">{formatDay(message.timestamp)}</span>
                    </li>
                  )}
                  <MessageBubble message={message} localUrl={localUrls[message.message_id]} />
                </Fragment>
              ))}
            </ul>
          </>
        )}
      </div>
      <Composer sessionId={sessionId} chatId={chatId} disabled={sendDisabled} onSent={(message, localUrl) => {
        atBottom.current = true;
        if (localUrl) setLocalUrls((urls) => ({ ...urls, [message.message_id]: localUrl }));
        added(message);
      }} />
    </section>
  );
}
