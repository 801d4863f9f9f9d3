import { AlertDialog, Button } from "@heroui/react";
import { useState } from "react";

export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  run: () => Promise<void>;
}

/** "Are you sure?" for actions that interrupt or destroy; stays open with a spinner while it runs. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <AlertDialog.Backdrop isOpen={request !== null} onOpenChange={(open) => !open && !busy && onClose()}>
      <AlertDialog.Container size="sm">
        <AlertDialog.Dialog>
          <AlertDialog.Header>
            <AlertDialog.Icon status={request?.danger ? "danger" : "warning"} />
            <AlertDialog.Heading>{request?.title}</AlertDialog.Heading>
          </AlertDialog.Header>
          <AlertDialog.Body><p className="text-sm text-muted">{request?.body}</p></AlertDialog.Body>
          <AlertDialog.Footer>
            <Button variant="tertiary" onPress={onClose} isDisabled={busy}>Cancel</Button>
            <Button
              variant={request?.danger ? "danger" : "primary"}
              isPending={busy}
              onPress={async () => {
                if (!request) return;
                setBusy(true);
                try {
                  await request.run();
                } finally {
                  setBusy(false);
                  onClose();
                }
              }}
            >
              {request?.confirm}
            </Button>
          </AlertDialog.Footer>
        </AlertDialog.Dialog>
      </AlertDialog.Container>
    </AlertDialog.Backdrop>
  );
}
