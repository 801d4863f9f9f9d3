import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MessagePublic } from "../api/types";
import { writeAuth } from "../api/tokens";
import { jsonResponse } from "../test/render";
import { MessageBubble } from "./MessageBubble";

const at = "2026-11-28T10:00:00Z";
const WAHA_URL = "http://waha-support-ab12c.conectafy.svc:3000/api/files/default/true_1555@c.us_AAA.jpeg";
const base: MessagePublic = {
  id: 7, session_id: "s1", chat_id: "15550002222@c.us", message_id: "m7", from_me: false, from_number: "15550002222",
  to_number: null, body: null, type: "image", media_url: WAHA_URL, media_mimetype: "image/jpeg", media_filename: null,
  ack: null, ack_name: null, timestamp: at, created_at: at,
};
const ROUTE = "/api/sessions/s1/messages/7/media";

/** The API's media route as a fetch double: each answer is taken in turn; the calls are recorded. */
function mediaRoute(...answers: Array<() => Response>) {
  const calls: Array<{ url: string; auth: string | null }> = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  vi.stubGlobal("fetch", vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, auth: new Headers(init?.headers).get("Authorization") });
    await gate;
    return (answers.shift() ?? (() => jsonResponse(500, {})))();
  }));
  return { calls, release };
}

const file = (type: string) => () => new Response(new Blob(["bytes"], { type }), { status: 200, headers: { "Content-Type": type } });

function bubble(message: MessagePublic) {
  return render(<ul><MessageBubble message={message} /></ul>);
}

let made: string[];
let revoked: string[];
const { createObjectURL, revokeObjectURL } = URL; // jsdom has neither: put back what was there
beforeEach(() => {
  writeAuth({ user: { id: "u1", email: "a@b.co" }, accessToken: "tok", refreshToken: null, expiresAt: null });
  made = [];
  revoked = [];
  Object.assign(URL, {
    createObjectURL: (blob: Blob) => (made.push(blob.type), `blob:media-${made.length}`),
    revokeObjectURL: (url: string) => void revoked.push(url),
  });
});
afterEach(() => Object.assign(URL, { createObjectURL, revokeObjectURL }));

describe("MessageMedia", () => {
  it("shows a skeleton, then the image from the API's media route with the bearer token", async () => {
    const api = mediaRoute(file("image/jpeg"));
    bubble(base);
    expect(screen.getByTestId("media-loading")).toHaveAccessibleName("Loading photo");
    api.release();
    expect(await screen.findByRole("img", { name: "Photo" })).toHaveAttribute("src", "blob:media-1");
    expect(api.calls).toEqual([{ url: ROUTE, auth: "Bearer tok" }]);
  });

  it.each([
    ["audio", "audio/ogg; codecs=opus", "media-audio", "Voice message"],
    ["video", "video/mp4", "media-video", "Video"],
  ] as const)("plays %s inline", async (type, mimetype, testId, label) => {
    const api = mediaRoute(file(mimetype));
    bubble({ ...base, type, media_mimetype: mimetype });
    api.release();
    const player = await screen.findByTestId(testId);
    expect([player.getAttribute("src"), player.getAttribute("aria-label"), player.hasAttribute("controls")]).toEqual(["blob:media-1", label, true]);
  });

  it("never requests WAHA's own URL", async () => {
    const api = mediaRoute(file("image/jpeg"));
    bubble(base);
    api.release();
    await screen.findByRole("img", { name: "Photo" });
    expect(api.calls.map((call) => call.url)).toEqual([ROUTE]);
    expect(document.body.innerHTML).not.toContain("waha-support");
  });

  it("falls back to a file card with a retry when the file cannot be loaded", async () => {
    const api = mediaRoute(() => jsonResponse(404, { detail: "media not found" }), file("image/jpeg"));
    bubble({ ...base, media_filename: "shop.jpg" });
    api.release();
    const card = await screen.findByTestId("media-card");
    expect(card).toHaveTextContent("shop.jpgCould not load: media not found");
    await userEvent.click(within(card).getByRole("button", { name: "Retry shop.jpg" }));
    expect(await screen.findByRole("img", { name: "shop.jpg" })).toHaveAttribute("src", "blob:media-1");
    expect(api.calls.length).toBe(2);
  });

  it("revokes the object URL when the bubble goes away", async () => {
    const api = mediaRoute(file("image/jpeg"));
    const view = bubble(base);
    api.release();
    await screen.findByRole("img", { name: "Photo" });
    view.unmount();
    expect(revoked).toEqual(["blob:media-1"]);
  });

  it("offers a document as a download, fetched only when asked, saved under its own name", async () => {
    const api = mediaRoute(file("application/pdf"));
    const clicked: Array<{ href: string; download: string }> = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.getAttribute("href") ?? "", download: this.download });
    });
    bubble({ ...base, type: "document", media_mimetype: "application/pdf", media_filename: "invoice.pdf" });
    expect(screen.getByTestId("media-card")).toHaveTextContent("invoice.pdfapplication/pdf");
    expect(api.calls).toEqual([]);
    api.release();
    await userEvent.click(screen.getByRole("button", { name: "Download invoice.pdf" }));
    await expect.poll(() => clicked).toEqual([{ href: "blob:media-1", download: "invoice.pdf" }]);
    expect(api.calls).toEqual([{ url: ROUTE, auth: "Bearer tok" }]);
  });

  it("says so when a media message has no file", () => {
    const api = mediaRoute();
    bubble({ ...base, media_url: null, media_mimetype: null });
    expect(screen.getByTestId("media-card")).toHaveTextContent("PhotoThe file is not available.");
    expect(api.calls).toEqual([]);
  });

  it("shows a file this browser just sent from its local preview, without fetching it back", () => {
    const api = mediaRoute();
    render(<ul><MessageBubble message={{ ...base, from_me: true }} localUrl="blob:local-1" /></ul>);
    expect(screen.getByRole("img", { name: "Photo" })).toHaveAttribute("src", "blob:local-1");
    expect(api.calls).toEqual([]);
  });
});
