import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { writeAuth } from "../api/tokens";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { EventsProvider, useLiveEvents, type LiveEvent } from "./EventsProvider";

function sseResponse(frames: string): Response {
  return new Response(frames, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

function Listener({ onEvent }: { onEvent: (event: LiveEvent) => void }) {
  useLiveEvents(["message"], onEvent);
  return null;
}

describe("EventsProvider", () => {
  it("sends the bearer token in a header (never the URL) and hands events to listeners", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "a1", refreshToken: "r1", expiresAt: null });
    const fetchMock = vi.fn(async () =>
      sseResponse('event: ready\ndata: {}\n\nid: 7\nevent: message\ndata: {"chat_id":"c1"}\n\nid: 8\nevent: ack\ndata: {}\n\n'));
    vi.stubGlobal("fetch", fetchMock);
    const onEvent = vi.fn();
    render(<EventsProvider><Listener onEvent={onEvent} /></EventsProvider>);
    await expect.poll(() => onEvent.mock.calls.length).toBe(1);
    expect(onEvent.mock.calls[0][0]).toEqual({ id: "7", type: "message", data: { chat_id: "c1" } });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect([url, (init.headers as Record<string, string>).Authorization]).toEqual(["/api/events", "Bearer a1"]);
  });

  it("shows the reconnecting banner while the stream is down", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "a1", refreshToken: "r1", expiresAt: null });
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("network down"))));
    render(<EventsProvider><ConnectionBanner /></EventsProvider>);
    expect(await screen.findByText(/Connection lost — reconnecting…/)).toBeVisible();
  });
});
