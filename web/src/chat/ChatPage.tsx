import { Alert, Skeleton } from "@heroui/react";
import { useState } from "react";
import { useParams } from "react-router";
import { ButtonLink } from "../components/ButtonLink";
import { Icon } from "../components/Icon";
import { StatusBadge } from "../components/StatusBadge";
import { formatPhone } from "../lib/format";
import { sessionBadge } from "../lib/status";
import { useSession } from "../sessions/useSessions";
import { ContactList } from "./ContactList";
import { Conversation } from "./Conversation";
import { useContacts } from "./useContacts";

const SEND_BLOCKED: Record<string, string> = {
  starting: "This number is starting; you can send once it is connected.",
  scan_qr: "This number is not linked yet: scan its QR code first.",
  failed: "This number failed. Restart it from the numbers page to send again.",
  stopped: "This number is stopped. Start it to send messages.",
};

/** The inbox of one number: chat list on the left, the open conversation on the right (stacked on phones). */
export function ChatPage() {
  const { sessionId = "", chatId: rawChatId } = useParams();
  const chatId = rawChatId ? decodeURIComponent(rawChatId) : null;
  const [search, setSearch] = useState("");
  const { session, error } = useSession(sessionId);
  const { contacts, hasMore, loadMore, markedRead } = useContacts(sessionId, search, chatId);
  const badge = session ? sessionBadge(session) : null;

  if (error) {
    return <div className="mx-auto max-w-xl p-8"><Alert status="danger"><Alert.Indicator /><Alert.Content><Alert.Title>{error.status === 404 ? "This number does not exist (or is not yours)." : error.message}</Alert.Title></Alert.Content></Alert></div>;
  }

  return (
    <div className="mx-auto flex h-full max-w-7xl md:p-4">
      <div className="flex h-full w-full overflow-hidden bg-surface md:rounded-2xl md:border md:border-border md:shadow-sm">
        <aside aria-label="Chats" className={`h-full w-full flex-col border-r border-separator md:flex md:w-80 lg:w-96 ${chatId ? "hidden" : "flex"}`}>
          <div className="flex items-center gap-2 border-b border-separator px-3 py-2.5">
            <ButtonLink href="/sessions" variant="ghost" aria-label="All numbers"><Icon name="back" className="size-5" /></ButtonLink>
            <div className="min-w-0 flex-1">
              {session ? <h1 className="truncate font-semibold">{session.display_name ?? session.name}</h1> : <Skeleton className="h-4 w-24 rounded" />}
              {session?.phone_number && <p className="truncate text-xs text-muted">{formatPhone(session.phone_number)}</p>}
            </div>
            {badge && <StatusBadge badge={badge} />}
          </div>
          {badge === "failed" && (
            <Alert status="danger" className="m-3"><Alert.Indicator /><Alert.Content><Alert.Title>This number failed</Alert.Title><Alert.Description>Messages are not received until it is restarted.</Alert.Description></Alert.Content></Alert>
          )}
          <div className="min-h-0 flex-1">
            <ContactList sessionId={sessionId} contacts={contacts} openChatId={chatId} search={search} onSearch={setSearch} hasMore={hasMore} onMore={() => void loadMore()} />
          </div>
        </aside>
        {chatId ? (
          <Conversation key={chatId} sessionId={sessionId} chatId={chatId} contact={contacts?.find((c) => c.chat_id === chatId)}
            sendDisabled={badge && badge !== "connected" ? SEND_BLOCKED[badge] : null} onRead={markedRead} />
        ) : (
          <div className="chat-wall hidden flex-1 flex-col items-center justify-center gap-3 text-center md:flex">
            <span className="grid size-16 place-items-center rounded-2xl bg-accent-soft text-accent"><Icon name="chatEmpty" className="size-8" /></span>
            <h2 className="text-lg font-semibold">Pick a chat</h2>
            <p className="max-w-xs text-sm text-muted">Choose a conversation on the left. New messages arrive here live.</p>
          </div>
        )}
      </div>
    </div>
  );
}
