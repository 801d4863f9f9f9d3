import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { writeAuth } from "../api/tokens";
import type { ContactPublic } from "../api/types";
import { EventsProvider } from "../events/EventsProvider";
import { jsonResponse, stubApi } from "../test/render";
import { useContacts } from "./useContacts";

const at = "2026-11-28T10:00:00Z";

function alice(unread: number): ContactPublic {
  return { id: 1, session_id: "s1", phone_number: "15550002222", chat_id: "15550002222@c.us", name: "Alice",
    last_message_at: at, last_message_preview: "hi", unread_count: unread, created_at: at };
}

function Badges() {
  const { contacts } = useContacts("s1", "", null);
  return <p data-testid="badges">{contacts?.map((c) => `${c.name}:${c.unread_count}`).join(",") ?? "loading"}</p>;
}

function messageFrame(id: number): string {
  const message = { id, session_id: "s1", chat_id: "15550002222@c.us", message_id: `m${id}`, from_me: false, body: `m${id}`,
    type: "text", timestamp: at };
  return `id: ${id}\nevent: message\ndata: ${JSON.stringify({ session_id: "s1", chat_id: message.chat_id, message })}\n\n`;
}

describe("useContacts", () => {
  it("ends on the server's counts after a burst of live messages, re-reading the list without overlap", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "a1", refreshToken: "r1", expiresAt: null });
    let unread = 0;
    let streams = 0;
    const api = stubApi({
      "GET /api/sessions/s1/contacts": () => jsonResponse(200, { items: [alice(unread)], next_cursor: null }),
      "GET /api/events": () => {
        streams += 1;
        if (streams > 1) return new Response("", { status: 204 }); // later reconnects: nothing new
        unread = 3; // the three messages below were committed before they were announced
        return new Response([1, 2, 3].map(messageFrame).join(""), { status: 200, headers: { "Content-Type": "text/event-stream" } });
      },
    });
    render(<EventsProvider><Badges /></EventsProvider>);
    await expect.poll(() => screen.getByTestId("badges").textContent).toBe("Alice:3");
    const reads = api.mock.calls.filter(([url]) => String(url).includes("/contacts")).length;
    expect(reads).toBeLessThanOrEqual(3); // the first read, then at most one per burst in flight
  });
});
