import { Button, Card, Chip, Input, Label, Radio, RadioGroup, TextField } from "@heroui/react";
import { useState, type FormEvent } from "react";
import { useMatch } from "react-router";
import { Icon } from "../components/Icon";
import { sessionBadge } from "../lib/status";
import { useSession } from "../sessions/useSessions";
import { useDemo } from "./DemoProvider";
import { demoApi, type PhoneMessageKind } from "./demoApi";

const KINDS: Array<{ value: PhoneMessageKind; label: string }> = [
  { value: "text", label: "Text" },
  { value: "image", label: "Image" },
  { value: "document", label: "Document" },
];

type Outcome = { ok: boolean; text: string } | null;

function useOutcome() {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  async function attempt(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await action();
      setOutcome({ ok: true, text: done });
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof Error ? error.message : "The simulated phone failed." });
    } finally {
      setBusy(false);
    }
  }
  return { outcome, busy, attempt };
}

/** A contact writes to this number: text, or a generated image or document. */
function MessageForm({ sessionId, disabled, attempt }: {
  sessionId: string; disabled: boolean; attempt: ReturnType<typeof useOutcome>["attempt"];
}) {
  const [contact, setContact] = useState("15550002222");
  const [contactName, setContactName] = useState("Maria Silva");
  const [kind, setKind] = useState<PhoneMessageKind>("text");
  const [text, setText] = useState("Hello! Is my order on its way?");

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const sender = { contact, contact_name: contactName.trim() || undefined, type: kind };
    const body = kind === "document" ? { ...sender, filename: "invoice.pdf" } : { ...sender, text: text.trim() || undefined };
    void attempt(() => demoApi.message(sessionId, body), `+${contact} sent a ${kind} message.`);
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3" aria-label="Send a message from a contact">
      <TextField value={contact} onChange={setContact} isDisabled={disabled}>
        <Label>From contact</Label>
        <Input inputMode="numeric" placeholder="15550002222" />
      </TextField>
      <TextField value={contactName} onChange={setContactName} isDisabled={disabled}>
        <Label>Contact name</Label>
        <Input />
      </TextField>
      <RadioGroup value={kind} onChange={(value) => setKind(value as PhoneMessageKind)} orientation="horizontal" isDisabled={disabled}>
        <Label>Kind</Label>
        <div className="flex gap-3">
          {KINDS.map((option) => (
            <Radio key={option.value} value={option.value}>
              <Radio.Content><Radio.Control><Radio.Indicator /></Radio.Control>{option.label}</Radio.Content>
            </Radio>
          ))}
        </div>
      </RadioGroup>
      {kind !== "document" && (
        <TextField value={text} onChange={setText} isDisabled={disabled}>
          <Label>{kind === "image" ? "Caption" : "Text"}</Label>
          <Input />
        </TextField>
      )}
      <Button type="submit" size="sm" isDisabled={disabled}><Icon name="send" className="size-4" /> Send to this number</Button>
    </form>
  );
}

/** The simulated phone of the session on screen: only in demo mode, and labelled as simulation. */
export function PhonePanel() {
  const demo = useDemo();
  const match = useMatch("/sessions/:sessionId/*");
  const [open, setOpen] = useState(true);
  if (!demo || !match?.params.sessionId) return null;
  if (!open) {
    return (
      <Button className="fixed bottom-24 right-4 z-30 shadow-lg" onPress={() => setOpen(true)}>
        <Icon name="phone" className="size-4" /> Simulated phone
      </Button>
    );
  }
  return <PhoneCard sessionId={match.params.sessionId} onClose={() => setOpen(false)} />;
}

function PhoneCard({ sessionId, onClose }: { sessionId: string; onClose: () => void }) {
  const { session } = useSession(sessionId);
  const { outcome, busy, attempt } = useOutcome();
  const badge = session ? sessionBadge(session) : null;
  return (
    <Card className="fixed bottom-24 right-4 z-30 w-80 gap-3 border-2 border-dashed border-accent p-4 shadow-xl"
      role="region" aria-label="Simulated phone" data-testid="phone-panel">
      <div className="flex items-center gap-2">
        <Icon name="phone" className="size-5 text-accent" />
        <h2 className="font-semibold">Simulated phone</h2>
        <Chip size="sm" color="accent" variant="soft"><Chip.Label>Simulation</Chip.Label></Chip>
        <Button isIconOnly size="sm" variant="ghost" className="ml-auto" aria-label="Hide the simulated phone" onPress={onClose}>
          <Icon name="close" className="size-4" />
        </Button>
      </div>
      <p className="text-xs text-muted">Acts as the WhatsApp phone of this number. Nothing here reaches real WhatsApp.</p>
      <Button size="sm" variant={badge === "scan_qr" ? "primary" : "secondary"} isDisabled={busy || badge !== "scan_qr"}
        onPress={() => void attempt(() => demoApi.scan(sessionId), "The phone scanned the QR code.")}>
        <Icon name="qr" className="size-4" /> Scan the QR code
      </Button>
      <MessageForm sessionId={sessionId} disabled={busy || badge !== "connected"} attempt={attempt} />
      <Button size="sm" variant="danger-soft" isDisabled={busy || badge !== "connected"}
        onPress={() => void attempt(() => demoApi.logout(sessionId), "The phone logged this device out.")}>
        <Icon name="unlink" className="size-4" /> Log out from the phone
      </Button>
      {outcome && (
        <p role="status" className={`text-sm ${outcome.ok ? "text-success" : "text-danger"}`}>{outcome.text}</p>
      )}
    </Card>
  );
}
