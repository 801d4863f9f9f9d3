import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { writeAuth } from "../api/tokens";
import { EventsProvider } from "../events/EventsProvider";
import { jsonResponse, renderAt, stubApi } from "../test/render";
import { SessionsPage } from "./SessionsPage";

const connected: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connected", phase: "Connected",
  wa_status: "WORKING", paused: false, phone_number: "15550001111", push_name: "Acme Support", conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: "2026-11-28T10:01:00Z",
};

describe("SessionsPage", () => {
  it("explains the first step when there is no number yet", async () => {
    stubApi({ "GET /api/sessions": () => jsonResponse(200, []) });
    renderAt(<SessionsPage />, "/sessions");
    expect(await screen.findByRole("heading", { name: "Connect your first WhatsApp number" })).toBeVisible();
    expect(screen.getByText(/Scan the QR code with WhatsApp on your phone/)).toBeVisible();
  });

  it("shows a connected number's phone, profile and live badge", async () => {
    stubApi({ "GET /api/sessions": () => jsonResponse(200, [connected]) });
    renderAt(<SessionsPage />, "/sessions");
    const card = await screen.findByTestId("session-card");
    expect(within(card).getByTestId("session-status")).toHaveTextContent("Connected");
    expect(within(card).getByTestId("session-phone")).toHaveTextContent("+1555 000 1111");
    expect(within(card).getByText("Acme Support")).toBeVisible();
    expect(within(card).getByRole("link", { name: "Open chats of Support" })).toHaveAttribute("href", "/sessions/s1/chats");
  });

  it("shows what to do on the phone when a ScanQR session waits for a passkey", async () => {
    const waiting = { ...connected, status: "connecting" as const, phase: "ScanQR", wa_status: "PASSKEY_CONFIRMATION_REQUIRED", phone_number: null, push_name: null };
    stubApi({ "GET /api/sessions": () => jsonResponse(200, [waiting]) });
    renderAt(<SessionsPage />, "/sessions");
    const card = await screen.findByTestId("session-card");
    expect([
      within(card).getByTestId("session-status").textContent,
      within(card).getByTestId("session-hint").textContent,
      within(card).getByRole("link", { name: "Pair Support: scan the QR code" }).getAttribute("href"),
    ]).toEqual([
      "Scan QR",
      "Open WhatsApp on your phone and approve the new linked device to finish connecting.",
      "/sessions/s1/pair",
    ]);
  });

  it("applies a live session event as is, without re-reading the session", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "a1", refreshToken: null, expiresAt: null });
    const scanning = { ...connected, status: "connecting" as const, phase: "ScanQR", wa_status: "SCAN_QR_CODE", phone_number: null, push_name: null };
    const frame = { session_id: "s1", session_name: "support-ab12c", session: connected };
    let release: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const api = stubApi({
      "GET /api/sessions": () => jsonResponse(200, [scanning]),
      "GET /api/events": () => new Response(`id: 1\nevent: session\ndata: ${JSON.stringify(frame)}\n\n`, { status: 200, headers: { "Content-Type": "text/event-stream" } }),
    });
    const fetchMock = api.getMockImplementation()!;
    api.mockImplementation(async (url: string, init?: RequestInit) => {
      if (url === "/api/events") await opened; // the list is on screen before the event arrives
      return fetchMock(url, init);
    });
    renderAt(<EventsProvider><SessionsPage /></EventsProvider>, "/sessions");
    const status = await screen.findByTestId("session-status");
    expect(status).toHaveTextContent("Scan QR");
    release();
    await expect.poll(() => status.textContent).toBe("Connected");
    expect([...new Set(api.mock.calls.map(([url]) => url))].sort()).toEqual(["/api/events", "/api/sessions"]); // no GET /api/sessions/s1
  });

  it("asks before deleting, then removes the card", async () => {
    const api = stubApi({
      "GET /api/sessions": () => jsonResponse(200, [connected]),
      "DELETE /api/sessions/s1": () => jsonResponse(204, null),
    });
    renderAt(<SessionsPage />, "/sessions");
    await userEvent.click(await screen.findByRole("button", { name: "More actions for Support" }));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Delete number" }));
    expect(await screen.findByText(/removed for good/)).toBeVisible();
    expect(api.mock.calls.some(([, init]) => init?.method === "DELETE")).toBe(false);
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await expect.poll(() => screen.queryByTestId("session-card")).toBeNull();
    expect(api.mock.calls.filter(([, init]) => init?.method === "DELETE").map(([url]) => url)).toEqual(["/api/sessions/s1"]);
  });

  it("shows the load error with a retry", async () => {
    stubApi({ "GET /api/sessions": () => jsonResponse(503, { detail: "database is not reachable" }) });
    renderAt(<SessionsPage />, "/sessions");
    expect(await screen.findByText("database is not reachable")).toBeVisible();
    expect(screen.getByRole("button", { name: "Retry" })).toBeVisible();
  });
});
