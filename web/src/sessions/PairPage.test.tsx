import { render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { jsonResponse, stubApi } from "../test/render";
import { PairPage } from "./PairPage";

const waiting: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "ScanQR",
  wa_status: "PASSKEY_REQUIRED", paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};

describe("PairPage", () => {
  it("asks to confirm on the phone instead of showing a QR in a passkey state", async () => {
    const api = stubApi({ "GET /api/sessions/s1": () => jsonResponse(200, waiting) });
    render(
      <MemoryRouter initialEntries={["/sessions/s1/pair"]}>
        <Routes><Route path="/sessions/:sessionId/pair" element={<PairPage />} /></Routes>
      </MemoryRouter>,
    );
    const panel = await screen.findByTestId("pair-confirm");
    expect(panel).toHaveTextContent(
      "Confirm on your phoneWhatsApp asks for your passkey: open WhatsApp on your phone and confirm with your fingerprint, face or screen lock.",
    );
    expect([screen.queryByTestId("qr-image"), api.mock.calls.map(([url]) => url)]).toEqual([null, ["/api/sessions/s1"]]);
  });
});
