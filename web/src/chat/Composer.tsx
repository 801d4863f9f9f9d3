import { Button, TextArea, toast } from "@heroui/react";
import { useRef, useState, type KeyboardEvent } from "react";
import { chatsApi } from "../api/endpoints";
import type { MessagePublic } from "../api/types";
import { Icon } from "../components/Icon";
import { formatBytes } from "../lib/format";

interface Props {
  sessionId: string;
  chatId: string;
  disabled?: string | null;
  onSent: (message: MessagePublic, localUrl?: string) => void;
}

/** Text and one attachment (its text becomes the caption); Enter sends, Shift+Enter starts a new line. */
export function Composer({ sessionId, chatId, disabled, onSent }: Props) {
  const [text, setText] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const canSend = !busy && !disabled && (text.trim() !== "" || file !== null);

  async function send() {
    if (!canSend) return;
    setBusy(true);
    try {
      if (file) {
        const sent = await chatsApi.sendMedia(sessionId, chatId, file, text.trim() || undefined);
        onSent(sent, URL.createObjectURL(file));
      } else {
        onSent(await chatsApi.sendText(sessionId, chatId, text.trim()));
      }
      setText("");
      setFile(null);
    } catch (failure) {
      toast.danger(failure instanceof Error ? failure.message : "The message was not sent.");
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  }

  return (
    <div className="border-t border-separator bg-background p-3">
      {disabled && <p className="mb-2 text-center text-xs text-warning" role="status">{disabled}</p>}
      {file && (
        <div className="mb-2 flex items-center gap-2 rounded-xl bg-default px-3 py-2 text-sm" data-testid="attachment">
          <Icon name="document" className="size-4 text-accent" />
          <span className="min-w-0 flex-1 truncate">{file.name}</span>
          <span className="text-xs text-muted">{formatBytes(file.size)}</span>
          <Button isIconOnly size="sm" variant="ghost" aria-label="Remove attachment" onPress={() => setFile(null)}><Icon name="close" className="size-4" /></Button>
        </div>
      )}
      <div className="flex items-end gap-2">
        <input ref={picker} type="file" hidden aria-label="Attach a file" data-testid="file-input"
          onChange={(event) => { setFile(event.target.files?.[0] ?? null); event.target.value = ""; }} />
        <Button isIconOnly variant="ghost" aria-label="Attach a file" onPress={() => picker.current?.click()} isDisabled={!!disabled}>
          <Icon name="attach" className="size-5" />
        </Button>
        <TextArea aria-label="Message" placeholder={file ? "Add a caption…" : "Type a message"} rows={1} value={text}
          onChange={(event) => setText(event.target.value)} onKeyDown={onKeyDown} disabled={!!disabled}
          className="max-h-40 min-h-10 flex-1 resize-none" />
        <Button isIconOnly aria-label="Send message" onPress={() => void send()} isDisabled={!canSend} isPending={busy}>
          <Icon name="send" className="size-5" />
        </Button>
      </div>
    </div>
  );
}
