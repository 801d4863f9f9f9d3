import { Button, Description, FieldError, Form, Input, Label, TextField } from "@heroui/react";
import { useState, type FormEvent } from "react";
import { sessionsApi } from "../api/endpoints";

const PHONE = /^\+?[0-9]{6,15}$/;

/** Link by phone number: WhatsApp shows "Link with phone number" and asks for this 8-character code. */
export function PairingCodeForm({ sessionId }: { sessionId: string }) {
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const number = phone.replace(/[\s()-]/g, "");
    if (!PHONE.test(number)) return setError("Enter the full number with country code, digits only (e.g. +15550001111).");
    setBusy(true);
    setError(undefined);
    try {
      setCode((await sessionsApi.pairingCode(sessionId, number)).code);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not get a code.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex flex-col gap-5">
      <Form className="flex flex-col gap-3" validationBehavior="aria" onSubmit={onSubmit}>
        <TextField name="phone" type="tel" value={phone} onChange={setPhone} isInvalid={!!error} autoComplete="tel">
          <Label>Phone number</Label>
          <Input placeholder="+1 555 000 1111" />
          {!error && <Description>The number of the phone you are linking, with its country code.</Description>}
          <FieldError>{error}</FieldError>
        </TextField>
        <Button type="submit" isPending={busy} variant="secondary">Get pairing code</Button>
      </Form>
      {code && (
        <div className="rounded-2xl border border-dashed border-accent bg-accent-soft p-5 text-center" aria-live="polite">
          <p className="text-sm text-muted">Enter this code on your phone</p>
          <p className="mt-2 font-mono text-3xl font-semibold tracking-[0.3em]" data-testid="pairing-code">{code}</p>
          <p className="mt-3 text-xs text-muted">WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead</p>
        </div>
      )}
    </div>
  );
}
