import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ContactPublic, MessagePublic } from "../api/types";
import { jsonResponse, renderAt, stubApi } from "../test/render";
import { Composer } from "./Composer";
import { ContactList } from "./ContactList";
import { MessageBubble } from "./MessageBubble";

const at = "2026-11-28T10:00:00Z";
const base: MessagePublic = {
  id: 1, session_id: "s1", chat_id: "15550002222@c.us", message_id: "m1", from_me: true, from_number: null, to_number: null,
  body: "hello", type: "text", media_url: null, media_mimetype: null, media_filename: null, ack: 3, ack_name: "READ",
  timestamp: at, created_at: at,
};

function bubble(message: MessagePublic) {
  render(<ul><MessageBubble message={message} /></ul>);
  return screen.getByTestId("message");
}

describe("MessageBubble", () => {
  it.each([[null, "Sending"], [1, "Sent"], [2, "Delivered"], [3, "Read"], [-1, "Not delivered"]])(
    "shows ack %s as %s", (ack, label) => {
      expect(within(bubble({ ...base, ack })).getByRole("img", { name: label })).toBeInTheDocument();
    });
});

const contacts: ContactPublic[] = [
  { id: 1, session_id: "s1", phone_number: "15550002222", chat_id: "15550002222@c.us", name: "Alice Park",
    last_message_at: at, last_message_preview: "Did my order ship?", unread_count: 2, created_at: at },
  { id: 2, session_id: "s1", phone_number: "15550003333", chat_id: "15550003333@c.us", name: null,
    last_message_at: at, last_message_preview: "[image]", unread_count: 0, created_at: at },
];

describe("ContactList", () => {
  it("lists chats with preview, unread badge and an accessible name", () => {
    renderAt(<ContactList sessionId="s1" contacts={contacts} openChatId={null} search="" onSearch={() => undefined} hasMore={false} onMore={() => undefined} />);
    const rows = screen.getAllByTestId("contact");
    expect(rows.map((row) => row.getAttribute("aria-label"))).toEqual(["Alice Park, 2 unread", "+1555 000 3333"]);
    expect(within(rows[0]).getByTestId("unread-badge")).toHaveTextContent("2");
    expect(within(rows[1]).getByText("Photo")).toBeVisible();
  });

  it("says when a search finds nothing", () => {
    renderAt(<ContactList sessionId="s1" contacts={[]} openChatId={null} search="zed" onSearch={() => undefined} hasMore={false} onMore={() => undefined} />);
    expect(screen.getByText("No chat matches “zed”.")).toBeVisible();
  });
});

describe("Composer", () => {
  it("sends the text on Enter and clears the box", async () => {
    const api = stubApi({ "POST /api/sessions/s1/chats/15550002222%40c.us/messages": () => jsonResponse(201, base) });
    const onSent = vi.fn();
    render(<Composer sessionId="s1" chatId="15550002222@c.us" onSent={onSent} />);
    await userEvent.type(screen.getByLabelText("Message"), "hello{Enter}");
    await expect.poll(() => onSent.mock.calls.length).toBe(1);
    expect(JSON.parse(String(api.mock.calls[0][1]?.body))).toEqual({ text: "hello" });
    expect(screen.getByLabelText("Message")).toHaveValue("");
  });

  it("sends an attachment as multipart with the text as caption", async () => {
    const api = stubApi({ "POST /api/sessions/s1/chats/15550002222%40c.us/media": () => jsonResponse(201, { ...base, type: "document" }) });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:local" }));
    render(<Composer sessionId="s1" chatId="15550002222@c.us" onSent={() => undefined} />);
    await userEvent.upload(screen.getByTestId("file-input"), new File(["%PDF"], "quote.pdf", { type: "application/pdf" }));
    expect(screen.getByTestId("attachment")).toHaveTextContent("quote.pdf");
    await userEvent.type(screen.getByLabelText("Message"), "Your quote");
    await userEvent.click(screen.getByRole("button", { name: "Send message" }));
    await expect.poll(() => api.mock.calls.length).toBe(1);
    const form = api.mock.calls[0][1]?.body as FormData;
    expect([(form.get("file") as File).name, form.get("caption")]).toEqual(["quote.pdf", "Your quote"]);
  });

  it("explains why sending is blocked", () => {
    render(<Composer sessionId="s1" chatId="15550002222@c.us" disabled="This number is stopped." onSent={() => undefined} />);
    expect(screen.getByRole("status")).toHaveTextContent("This number is stopped.");
    expect(screen.getByLabelText("Message")).toBeDisabled();
  });
});
