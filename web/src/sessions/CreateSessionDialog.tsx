import { Button, Description, FieldError, Form, Input, Label, Modal, Radio, RadioGroup, TextField } from "@heroui/react";
import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { sessionsApi } from "../api/endpoints";
import type { Engine, SessionPublic } from "../api/types";
import { Icon } from "../components/Icon";
import { slugify } from "../lib/format";
import { ENGINES } from "./engines";

const NAME = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;

export function nameError(name: string): string | undefined {
  if (!name) return "Give the number a name, e.g. “support”.";
  if (!NAME.test(name)) return "Use lower-case letters, digits and dashes, starting with a letter (max 46).";
  return undefined;
}

interface Props {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (session: SessionPublic) => void;
}

/** New number: a display name (its slug is the resource name) and the WAHA engine. */
export function CreateSessionDialog({ isOpen, onOpenChange, onCreated }: Props) {
  const [displayName, setDisplayName] = useState("");
  const [engine, setEngine] = useState<Engine>("GOWS");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const name = slugify(displayName);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problem = nameError(name);
    if (problem) return setErrors({ display_name: problem });
    setBusy(true);
    try {
      const created = await sessionsApi.create({ name, engine, display_name: displayName.trim() });
      setDisplayName("");
      setErrors({});
      onCreated(created);
    } catch (error) {
      const fields = error instanceof ApiError ? error.fields : {};
      const message = error instanceof Error ? error.message : "Could not create the number.";
      setErrors({ display_name: fields.name ?? fields.display_name ?? message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal.Backdrop isOpen={isOpen} onOpenChange={onOpenChange}>
      <Modal.Container size="md">
        <Modal.Dialog aria-label="Connect a WhatsApp number">
          <Modal.CloseTrigger />
          <Modal.Header>
            <Modal.Icon className="bg-accent-soft text-accent"><Icon name="phone" className="size-5" /></Modal.Icon>
            <Modal.Heading>Connect a WhatsApp number</Modal.Heading>
            <p className="text-sm text-muted">You will scan a QR code with the phone next.</p>
          </Modal.Header>
          <Form id="create-session" validationBehavior="aria" validationErrors={errors} onSubmit={onSubmit}>
            <Modal.Body className="flex flex-col gap-5 px-1">
              <TextField name="display_name" value={displayName} onChange={setDisplayName} isInvalid={!!errors.display_name} autoFocus>
                <Label>Name</Label>
                <Input placeholder="Support" />
                {!errors.display_name && (
                  <Description>{name ? <>Identifier: <code className="font-mono">{name}</code></> : "Shown on the card; the identifier is made from it."}</Description>
                )}
                <FieldError>{errors.display_name}</FieldError>
              </TextField>
              <RadioGroup name="engine" className="gap-2" value={engine} onChange={(value) => setEngine(value as Engine)}>
                <Label>Engine</Label>
                {ENGINES.map((option) => (
                  <Radio key={option.value} value={option.value}
                    className="w-full rounded-xl border border-border p-3 transition-colors data-selected:border-accent data-selected:bg-accent-soft/40">
                    <Radio.Content>
                      <Radio.Control><Radio.Indicator /></Radio.Control>
                      <span className="font-semibold">{option.label}</span>
                    </Radio.Content>
                    <Description>{option.hint}</Description>
                  </Radio>
                ))}
              </RadioGroup>
            </Modal.Body>
          </Form>
          <Modal.Footer>
            <Button variant="tertiary" slot="close">Cancel</Button>
            <Button type="submit" form="create-session" isPending={busy}>Create and pair</Button>
          </Modal.Footer>
        </Modal.Dialog>
      </Modal.Container>
    </Modal.Backdrop>
  );
}
