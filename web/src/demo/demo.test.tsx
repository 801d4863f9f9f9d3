import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import type { SessionPublic } from "../api/types";
import { jsonResponse, stubApi } from "../test/render";
import { DemoBanner } from "./DemoBanner";
import { DemoProvider } from "./DemoProvider";
import { PhonePanel } from "./PhonePanel";

const DEMO = { demo: true, real: ["operator", "API", "PostgreSQL", "dashboard"], simulated: ["Kubernetes API", "WAHA", "WhatsApp"] };
const scanning: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "ScanQR",
  wa_status: "SCAN_QR_CODE", paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};

function renderAt(path: string) {
  return render(
    <DemoProvider>
      <MemoryRouter initialEntries={[path]}>
        <DemoBanner />
        <Routes><Route path="*" element={<PhonePanel />} /></Routes>
      </MemoryRouter>
    </DemoProvider>,
  );
}

describe("demo mode", () => {
  it("says what is simulated and what is real", async () => {
    stubApi({ "GET /api/demo": () => jsonResponse(200, DEMO) });
    renderAt("/sessions");
    expect(await screen.findByTestId("demo-banner")).toHaveTextContent(
      "Demo— Kubernetes API, WAHA, WhatsApp are simulated; operator, API, PostgreSQL, dashboard are real.",
    );
  });

  it("shows nothing on a real deployment (no /api/demo)", async () => {
    const api = stubApi({});
    renderAt("/sessions/s1/pair");
    await waitFor(() => expect(api).toHaveBeenCalledWith("/api/demo", expect.anything()));
    expect([screen.queryByTestId("demo-banner"), screen.queryByTestId("phone-panel")]).toEqual([null, null]);
  });

  it("scans the QR of the session on screen through the simulated phone", async () => {
    const api = stubApi({
      "GET /api/demo": () => jsonResponse(200, DEMO),
      "GET /api/sessions/s1": () => jsonResponse(200, scanning),
      "POST /api/demo/sessions/s1/phone/scan": () => jsonResponse(200, { status: "STARTING", message_id: null }),
    });
    renderAt("/sessions/s1/pair");
    const scan = await screen.findByRole("button", { name: "Scan the QR code" });
    await waitFor(() => expect(scan).toBeEnabled());
    fireEvent.click(scan);
    expect(await screen.findByRole("status")).toHaveTextContent("The phone scanned the QR code.");
    expect(api.mock.calls.map(([url, init]) => `${init?.method ?? "GET"} ${url}`)).toContain("POST /api/demo/sessions/s1/phone/scan");
  });
});
