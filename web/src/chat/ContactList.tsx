import { Avatar, Button, SearchField, Skeleton } from "@heroui/react";
import { Link } from "react-aria-components";
import type { ContactPublic } from "../api/types";
import { Icon } from "../components/Icon";
import type { IconName } from "../icons/names";
import { formatListTime, formatPhone, initials } from "../lib/format";

interface Props {
  sessionId: string;
  contacts: ContactPublic[] | null;
  openChatId: string | null;
  search: string;
  onSearch: (value: string) => void;
  hasMore: boolean;
  onMore: () => void;
}

const MEDIA_PREVIEW: Record<string, { icon: IconName; label: string }> = {
  "[image]": { icon: "gallery", label: "Photo" },
  "[audio]": { icon: "microphone", label: "Voice message" },
  "[video]": { icon: "video", label: "Video" },
  "[document]": { icon: "document", label: "Document" },
};

/** The last message in one line; a media message (stored as "[image]"…) as an icon and a word. */
function Preview({ text, unread }: { text: string | null; unread: boolean }) {
  const media = text ? MEDIA_PREVIEW[text] : undefined;
  return (
    <span className={`flex min-w-0 flex-1 items-center gap-1 text-sm ${unread ? "text-foreground" : "text-muted"}`}>
      {media && <Icon name={media.icon} className="size-4 shrink-0" />}
      <span className="truncate">{media ? media.label : (text ?? "")}</span>
    </span>
  );
}

function ContactRow({ contact, sessionId, active }: { contact: ContactPublic; sessionId: string; active: boolean }) {
  const title = contact.name || formatPhone(contact.phone_number);
  const unread = contact.unread_count;
  return (
    <li>
      <Link href={`/sessions/${sessionId}/chats/${encodeURIComponent(contact.chat_id)}`} data-testid="contact" data-chat={contact.chat_id}
        aria-current={active ? "page" : undefined} aria-label={`${title}${unread ? `, ${unread} unread` : ""}`}
        className={`flex items-center gap-3 rounded-xl px-3 py-2.5 outline-none transition-colors focus-visible:ring-2 focus-visible:ring-focus ${active ? "bg-accent-soft" : "hover:bg-default"}`}>
        <Avatar color={active ? "accent" : "default"}><Avatar.Fallback>{initials(contact.name, contact.phone_number)}</Avatar.Fallback></Avatar>
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline gap-2">
            <span className={`flex-1 truncate ${unread ? "font-semibold" : "font-medium"}`}>{title}</span>
            <time className={`shrink-0 text-xs ${unread ? "font-medium text-accent" : "text-muted"}`} dateTime={contact.last_message_at}>{formatListTime(contact.last_message_at)}</time>
          </span>
          <span className="flex items-center gap-2">
            <Preview text={contact.last_message_preview} unread={unread > 0} />
            {unread > 0 && (
              <span className="grid h-5 min-w-5 place-items-center rounded-full bg-accent px-1.5 text-[0.7rem] font-semibold text-accent-foreground" data-testid="unread-badge">{unread}</span>
            )}
          </span>
        </span>
      </Link>
    </li>
  );
}

/** The chat list: search, unread badges, last message preview and time. */
export function ContactList({ sessionId, contacts, openChatId, search, onSearch, hasMore, onMore }: Props) {
  return (
    <div className="flex h-full flex-col">
      <div className="p-3">
        <SearchField aria-label="Search chats" value={search} onChange={onSearch} fullWidth>
          <SearchField.Group>
            <SearchField.SearchIcon />
            <SearchField.Input placeholder="Search name or number" />
            <SearchField.ClearButton />
          </SearchField.Group>
        </SearchField>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {contacts === null && (
          <ul aria-busy="true" aria-label="Loading chats" className="space-y-1">
            {[0, 1, 2, 3, 4].map((key) => (
              <li key={key} className="flex items-center gap-3 px-3 py-2.5"><Skeleton className="size-10 rounded-full" /><div className="flex-1 space-y-2"><Skeleton className="h-3.5 w-1/2 rounded" /><Skeleton className="h-3 w-3/4 rounded" /></div></li>
            ))}
          </ul>
        )}
        {contacts?.length === 0 && (
          <p className="px-4 py-10 text-center text-sm text-muted">{search ? `No chat matches “${search}”.` : "No chats yet. When someone messages this number, the chat shows up here instantly."}</p>
        )}
        {contacts && contacts.length > 0 && (
          <ul aria-label="Chats" className="space-y-0.5">
            {contacts.map((contact) => <ContactRow key={contact.chat_id} contact={contact} sessionId={sessionId} active={contact.chat_id === openChatId} />)}
          </ul>
        )}
        {hasMore && <Button variant="ghost" size="sm" fullWidth onPress={onMore}>Load more chats</Button>}
      </div>
    </div>
  );
}
