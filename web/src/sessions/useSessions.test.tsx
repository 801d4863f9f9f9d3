import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { writeAuth } from "../api/tokens";
import type { SessionPublic } from "../api/types";
import { EventsProvider } from "../events/EventsProvider";
import { jsonResponse } from "../test/render";
import { useSession } from "./useSessions";

const starting: SessionPublic = {
  id: "s1", name: "support-ab12c", display_name: "Support", engine: "GOWS", status: "connecting", phase: "Pending",
  wa_status: null, paused: false, phone_number: null, push_name: null, conditions: [],
  created_at: "2026-11-28T10:00:00Z", updated_at: "2026-11-28T10:00:00Z", last_connected_at: null,
};
const scanning: SessionPublic = { ...starting, phase: "ScanQR", wa_status: "SCAN_QR_CODE" };

function Phase() {
  const { session } = useSession("s1");
  return <p data-testid="phase">{session?.phase ?? "loading"}</p>;
}

describe("useSession", () => {
  it("reads the session again when a live event about it arrived while it was being read", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "a1", refreshToken: "r1", expiresAt: null });
    const event = `event: ready\ndata: {}\n\nid: 9\nevent: session\ndata: ${JSON.stringify({ session_id: "s1", session: scanning })}\n\n`;
    let reads = 0;
    let streamed: () => void = () => undefined;
    const eventSent = new Promise<void>((resolve) => (streamed = resolve));
    vi.stubGlobal("fetch", vi.fn(async (url: string) => {
      if (url === "/api/events") {
        setTimeout(streamed, 50);
        return new Response(event, { status: 200, headers: { "Content-Type": "text/event-stream" } });
      }
      reads += 1;
      if (reads > 1) return jsonResponse(200, scanning);
      await eventSent; // the first answer was read before the operator's change, and arrives after its event
      await new Promise((resolve) => setTimeout(resolve, 50));
      return jsonResponse(200, starting);
    }));
    render(<EventsProvider><Phase /></EventsProvider>);
    await expect.poll(() => screen.getByTestId("phase").textContent).toBe("ScanQR");
    expect(reads).toBe(2);
  });
});
