import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
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
