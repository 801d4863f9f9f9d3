import { Avatar, Button, Card, Dropdown, Label } from "@heroui/react";
import type { Key } from "react";
import type { SessionPublic } from "../api/types";
import { ButtonLink } from "../components/ButtonLink";
import { Icon } from "../components/Icon";
import { StatusBadge } from "../components/StatusBadge";
import { formatPhone, initials } from "../lib/format";
import { passkeyHint, sessionBadge } from "../lib/status";

export type CardAction = "stop" | "start" | "restart" | "logout" | "delete";

interface Props {
  session: SessionPublic;
  onAction: (session: SessionPublic, action: CardAction) => void;
}

const SUBTITLE: Record<ReturnType<typeof sessionBadge>, string> = {
  starting: "Starting WhatsApp…",
  scan_qr: "Waiting for the phone to scan the QR code",
  re_pair: "Your phone unlinked this device. Scan the new QR code to re-pair this number.",
  connected: "",
  failed: "The session failed. Restart it, or log out and pair again.",
  stopped: "Stopped. Start it to receive messages again.",
};

/** One number: live status, who it is, and what can be done with it. */
export function SessionCard({ session, onAction }: Props) {
  const badge = sessionBadge(session);
  const title = session.display_name || session.name;
  const stopped = badge === "stopped";
  return (
    <Card className="group flex flex-col gap-4 p-5 transition-shadow hover:shadow-md" data-testid="session-card" data-session={session.name}>
      <div className="flex items-start gap-3">
        <Avatar color={badge === "connected" ? "success" : "default"} size="md">
          <Avatar.Fallback>{initials(session.push_name ?? title, session.phone_number ?? "")}</Avatar.Fallback>
        </Avatar>
        <div className="min-w-0 flex-1">
          <Card.Title className="truncate text-base">{title}</Card.Title>
          <p className="truncate font-mono text-xs text-muted">{session.name}</p>
        </div>
        <StatusBadge badge={badge} />
      </div>
      <div className="min-h-12 text-sm">
        {badge === "connected" ? (
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-muted">Phone</dt><dd className="font-medium" data-testid="session-phone">{formatPhone(session.phone_number) || "—"}</dd>
            <dt className="text-muted">Profile</dt><dd className="truncate">{session.push_name || "—"}</dd>
          </dl>
        ) : (
          <p className={badge === "failed" || badge === "re_pair" ? "text-danger" : "text-muted"} data-testid="session-hint">
            {passkeyHint(session) ?? SUBTITLE[badge]}
          </p>
        )}
      </div>
      <div className="mt-auto flex items-center gap-2">
        {badge === "connected" && (
          <ButtonLink href={`/sessions/${session.id}/chats`} className="flex-1" aria-label={`Open chats of ${title}`}>
            <Icon name="chat" className="size-4" /> Open chats
          </ButtonLink>
        )}
        {(badge === "scan_qr" || badge === "starting" || badge === "failed" || badge === "re_pair") && (
          <ButtonLink href={`/sessions/${session.id}/pair`} className="flex-1" aria-label={`Pair ${title}: scan the QR code`}>
            <Icon name="qr" className="size-4" /> {badge === "failed" || badge === "re_pair" ? "Pair again" : "Scan QR code"}
          </ButtonLink>
        )}
        {stopped && (
          <Button size="sm" variant="secondary" className="flex-1" onPress={() => onAction(session, "start")}>
            <Icon name="play" className="size-4" /> Start
          </Button>
        )}
        <Dropdown>
          <Dropdown.Trigger aria-label={`More actions for ${title}`} className="grid size-8 place-items-center rounded-lg hover:bg-default">
            <Icon name="menu" className="size-4" />
          </Dropdown.Trigger>
          <Dropdown.Popover placement="bottom end">
            <Dropdown.Menu aria-label={`Actions for ${title}`} onAction={(key: Key) => key !== "chats" && onAction(session, key as CardAction)}
              disabledKeys={stopped ? ["stop", "restart", "logout"] : ["start"]}>
              <Dropdown.Item id="chats" textValue="Open chats" href={`/sessions/${session.id}/chats`}><Icon name="chat" className="size-4" /><Label>Open chats</Label></Dropdown.Item>
              <Dropdown.Item id="start" textValue="Start"><Icon name="play" className="size-4" /><Label>Start</Label></Dropdown.Item>
              <Dropdown.Item id="stop" textValue="Stop"><Icon name="stop" className="size-4" /><Label>Stop</Label></Dropdown.Item>
              <Dropdown.Item id="restart" textValue="Restart"><Icon name="restart" className="size-4" /><Label>Restart</Label></Dropdown.Item>
              <Dropdown.Item id="logout" textValue="Log out"><Icon name="unlink" className="size-4" /><Label>Log out of WhatsApp</Label></Dropdown.Item>
              <Dropdown.Item id="delete" textValue="Delete" variant="danger"><Icon name="trash" className="size-4" /><Label>Delete number</Label></Dropdown.Item>
            </Dropdown.Menu>
          </Dropdown.Popover>
        </Dropdown>
      </div>
    </Card>
  );
}
