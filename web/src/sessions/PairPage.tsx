import { Alert, Card, ProgressCircle, Skeleton, Spinner, Tabs } from "@heroui/react";
import { useParams } from "react-router";
import { ButtonLink } from "../components/ButtonLink";
import { Icon } from "../components/Icon";
import { StatusBadge } from "../components/StatusBadge";
import { formatPhone } from "../lib/format";
import { passkeyHint, sessionBadge } from "../lib/status";
import { PairingCodeForm } from "./PairingCodeForm";
import { QR_LIFETIME_SECONDS, useQrCode } from "./useQrCode";
import { useSession } from "./useSessions";

const STEPS = [
  "Open WhatsApp on your phone",
  "Tap Settings (iPhone) or ⋮ Menu (Android) → Linked devices",
  "Tap Link a device and point the phone at this screen",
];

function QrPanel({ sessionId, waiting }: { sessionId: string; waiting: boolean }) {
  const qr = useQrCode(sessionId, waiting);
  return (
    <div className="flex flex-col items-center gap-4">
      <div className="relative grid size-72 place-items-center rounded-2xl bg-white p-3 shadow-sm ring-1 ring-border sm:size-80">
        {qr.url ? (
          <img src={qr.url} alt="QR code to scan with WhatsApp" className="size-full [image-rendering:pixelated]" data-testid="qr-image" />
        ) : (
          <Skeleton className="size-full rounded-xl" aria-label="Preparing the QR code" />
        )}
        {qr.loading && qr.url && <div className="absolute inset-0 grid place-items-center rounded-2xl bg-white/60"><Spinner /></div>}
      </div>
      {qr.url ? (
        <div className="flex items-center gap-2 text-sm text-muted" aria-live="off">
          <ProgressCircle aria-label="Time until the QR code changes" value={qr.secondsLeft} maxValue={QR_LIFETIME_SECONDS} size="sm">
            <ProgressCircle.Track><ProgressCircle.TrackCircle /><ProgressCircle.FillCircle /></ProgressCircle.Track>
          </ProgressCircle>
          <span data-testid="qr-countdown">New code in {qr.secondsLeft}s</span>
        </div>
      ) : (
        <p className="text-sm text-muted">{qr.error ?? "Waiting for WhatsApp to give us a code…"}</p>
      )}
    </div>
  );
}

function Connected({ sessionId, phone, name }: { sessionId: string; phone: string | null; name: string | null }) {
  return (
    <div className="flex flex-col items-center gap-4 py-10 text-center" role="status" data-testid="pair-success">
      <span className="grid size-20 place-items-center rounded-full bg-success-soft text-success"><Icon name="success" className="size-12" /></span>
      <h2 className="text-2xl font-semibold">Connected!</h2>
      <p className="text-muted">{name ? `${name} · ` : ""}{formatPhone(phone)} is linked. New messages appear in your inbox live.</p>
      <ButtonLink href={`/sessions/${sessionId}/chats`} size="md"><Icon name="chat" className="size-5" /> Open chats</ButtonLink>
    </div>
  );
}

/** WhatsApp waits for a passkey step on the phone: there is no QR to show, only what to do. */
function ConfirmOnPhone({ hint }: { hint: string }) {
  return (
    <div className="flex flex-col items-center gap-4 px-6 py-12 text-center" role="status" data-testid="pair-confirm">
      <span className="grid size-20 place-items-center rounded-full bg-warning-soft text-warning"><Icon name="phone" className="size-11" /></span>
      <h2 className="text-2xl font-semibold">Confirm on your phone</h2>
      <p className="max-w-md text-muted">{hint}</p>
      <p className="flex items-center gap-2 text-sm text-muted"><Spinner size="sm" /> This page updates by itself once you have confirmed.</p>
    </div>
  );
}

/** Pair a number: a large QR that follows WAHA's rotations, or a phone-number code, until connected. */
export function PairPage() {
  const { sessionId = "" } = useParams();
  const { session, error } = useSession(sessionId);
  const badge = session ? sessionBadge(session) : null;
  const title = session?.display_name ?? session?.name ?? "";

  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <ButtonLink href="/sessions" variant="ghost" className="mb-4 -ml-2"><Icon name="back" className="size-4" /> All numbers</ButtonLink>
      {error && (
        <Alert status="danger"><Alert.Indicator /><Alert.Content><Alert.Title>{error.status === 404 ? "This number does not exist (or is not yours)." : error.message}</Alert.Title></Alert.Content></Alert>
      )}
      {!session && !error && <Skeleton className="h-[28rem] rounded-3xl" />}
      {session && badge && (
        <Card className="overflow-hidden p-0">
          <div className="flex flex-wrap items-center gap-3 border-b border-separator px-6 py-4">
            <h1 className="text-lg font-semibold">Link “{title}”</h1>
            <StatusBadge badge={badge} />
          </div>
          {badge === "connected" ? (
            <Connected sessionId={session.id} phone={session.phone_number} name={session.push_name} />
          ) : passkeyHint(session) ? (
            <ConfirmOnPhone hint={passkeyHint(session) ?? ""} />
          ) : badge === "failed" || badge === "stopped" ? (
            <div className="p-6">
              <Alert status={badge === "failed" ? "danger" : "warning"}>
                <Alert.Indicator />
                <Alert.Content>
                  <Alert.Title>{badge === "failed" ? "This session failed" : "This number is stopped"}</Alert.Title>
                  <Alert.Description>{badge === "failed" ? "Restart it from the numbers page, or log out to get a fresh QR code." : "Start it from the numbers page to get a QR code."}</Alert.Description>
                </Alert.Content>
              </Alert>
            </div>
          ) : (
            <div className="grid gap-8 p-6 md:grid-cols-[1fr_auto] md:p-10">
              <div className="flex flex-col gap-6">
                <div>
                  <h2 className="text-2xl font-semibold tracking-tight">Scan to connect WhatsApp</h2>
                  <p className="mt-1 text-muted">Your messages stay on your phone and in your Conectafy inbox.</p>
                </div>
                <ol className="space-y-3">
                  {STEPS.map((step, index) => (
                    <li key={step} className="flex gap-3">
                      <span className="grid size-7 shrink-0 place-items-center rounded-full bg-accent-soft text-sm font-semibold text-accent">{index + 1}</span>
                      <span className="pt-0.5">{step}</span>
                    </li>
                  ))}
                </ol>
                <p className="flex items-center gap-2 text-sm text-muted"><Icon name="shield" className="size-4 text-success" /> This page switches to your inbox the moment the phone is linked.</p>
              </div>
              <Tabs className="w-full md:w-80">
                <Tabs.ListContainer>
                  <Tabs.List aria-label="How to link">
                    <Tabs.Tab id="qr">QR code<Tabs.Indicator /></Tabs.Tab>
                    <Tabs.Tab id="code">Phone number<Tabs.Indicator /></Tabs.Tab>
                  </Tabs.List>
                </Tabs.ListContainer>
                <Tabs.Panel id="qr" className="pt-4"><QrPanel sessionId={session.id} waiting={badge === "scan_qr" || badge === "re_pair"} /></Tabs.Panel>
                <Tabs.Panel id="code" className="pt-4"><PairingCodeForm sessionId={session.id} /></Tabs.Panel>
              </Tabs>
            </div>
          )}
        </Card>
      )}
    </main>
  );
}
