import { Alert, Button, Card, Skeleton, toast } from "@heroui/react";
import { useState } from "react";
import { useNavigate } from "react-router";
import { sessionsApi } from "../api/endpoints";
import type { SessionPublic } from "../api/types";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { Icon } from "../components/Icon";
import { sessionBadge } from "../lib/status";
import { CreateSessionDialog } from "./CreateSessionDialog";
import { SessionCard, type CardAction } from "./SessionCard";
import { useSessions } from "./useSessions";

const CONFIRM: Record<CardAction, Omit<ConfirmRequest, "run">> = {
  stop: { title: "Stop this number?", body: "WhatsApp stays linked, but no messages arrive or leave until you start it again.", confirm: "Stop" },
  start: { title: "Start this number?", body: "Its WhatsApp container starts and messages flow again.", confirm: "Start" },
  restart: { title: "Restart this number?", body: "The container restarts; it is offline for a few seconds. The phone stays linked.", confirm: "Restart" },
  logout: { title: "Log out of WhatsApp?", body: "The phone is unlinked. To use this number again you will scan a new QR code.", confirm: "Log out", danger: true },
  delete: { title: "Delete this number?", body: "The number, its container and all of its messages are removed for good. This cannot be undone.", confirm: "Delete", danger: true },
};

/** One line of totals, so a user with many numbers sees at a glance what needs attention. */
function Summary({ sessions }: { sessions: SessionPublic[] }) {
  const badges = sessions.map(sessionBadge);
  const count = (wanted: string[]) => badges.filter((badge) => wanted.includes(badge)).length;
  const items = [
    { label: "Numbers", value: sessions.length, color: "text-foreground" },
    { label: "Connected", value: count(["connected"]), color: "text-success" },
    { label: "Waiting to pair", value: count(["scan_qr", "starting"]), color: "text-warning" },
    { label: "Need attention", value: count(["failed"]), color: "text-danger" },
  ].map((item) => ({ ...item, className: item.value > 0 ? item.color : "text-muted" }));
  return (
    <dl className="mb-6 grid grid-cols-2 gap-3 sm:grid-cols-4">
      {items.map((item) => (
        <div key={item.label} className="rounded-2xl border border-border bg-surface px-4 py-3">
          <dt className="text-xs font-medium text-muted">{item.label}</dt>
          <dd className={`text-2xl font-semibold tabular-nums ${item.className}`}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function SkeletonCards() {
  return (
    <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-busy="true" aria-label="Loading your numbers">
      {[0, 1, 2].map((key) => (
        <Card key={key} className="flex flex-col gap-4 p-5">
          <div className="flex items-center gap-3"><Skeleton className="size-10 rounded-full" /><div className="flex-1 space-y-2"><Skeleton className="h-4 w-2/3 rounded" /><Skeleton className="h-3 w-1/3 rounded" /></div></div>
          <Skeleton className="h-10 rounded-lg" />
          <Skeleton className="h-8 rounded-lg" />
        </Card>
      ))}
    </div>
  );
}

function EmptyNumbers({ onCreate }: { onCreate: () => void }) {
  return (
    <Card className="mx-auto flex max-w-xl flex-col items-center gap-4 p-10 text-center">
      <span className="grid size-16 place-items-center rounded-2xl bg-accent-soft text-accent"><Icon name="phone" className="size-8" /></span>
      <h2 className="text-xl font-semibold">Connect your first WhatsApp number</h2>
      <ol className="space-y-1 text-left text-sm text-muted">
        <li>1. Create a number and pick an engine (GOWS is a good default).</li>
        <li>2. Scan the QR code with WhatsApp on your phone: Settings → Linked devices.</li>
        <li>3. Your chats appear here live.</li>
      </ol>
      <Button onPress={onCreate}><Icon name="add" className="size-5" /> Connect a number</Button>
    </Card>
  );
}

/** The user's numbers as live cards, with create, stop/start/restart, logout and delete. */
export function SessionsPage() {
  const { sessions, error, reload, upsert, remove } = useSessions();
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const navigate = useNavigate();

  function onAction(session: SessionPublic, action: CardAction) {
    setConfirm({
      ...CONFIRM[action],
      run: async () => {
        try {
          if (action === "delete") {
            await sessionsApi.remove(session.id);
            remove(session.id);
          } else if (action === "logout") {
            await sessionsApi.logout(session.id);
          } else {
            upsert(await sessionsApi.act(session.id, action));
          }
          toast.success(`${CONFIRM[action].confirm}: ${session.display_name ?? session.name}`);
        } catch (failure) {
          toast.danger(failure instanceof Error ? failure.message : "The action failed.");
        }
      },
    });
  }

  return (
    <main className="mx-auto max-w-7xl px-4 py-8">
      <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">WhatsApp numbers</h1>
          <p className="text-sm text-muted">Each number runs in its own container. Status updates live.</p>
        </div>
        {sessions && sessions.length > 0 && (
          <Button onPress={() => setCreating(true)}><Icon name="add" className="size-5" /> New number</Button>
        )}
      </div>
      {error && (
        <Alert status="danger" className="mb-6">
          <Alert.Indicator />
          <Alert.Content><Alert.Title>Could not load your numbers</Alert.Title><Alert.Description>{error}</Alert.Description></Alert.Content>
          <Button size="sm" variant="danger-soft" onPress={() => void reload()}>Retry</Button>
        </Alert>
      )}
      {sessions === null && !error && <SkeletonCards />}
      {sessions?.length === 0 && <EmptyNumbers onCreate={() => setCreating(true)} />}
      {sessions && sessions.length > 0 && <Summary sessions={sessions} />}
      {sessions && sessions.length > 0 && (
        <section aria-label="Your numbers" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          {sessions.map((session) => <SessionCard key={session.id} session={session} onAction={onAction} />)}
        </section>
      )}
      <CreateSessionDialog
        isOpen={creating}
        onOpenChange={setCreating}
        onCreated={(session) => {
          upsert(session);
          setCreating(false);
          void navigate(`/sessions/${session.id}/pair`);
        }}
      />
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </main>
  );
}
