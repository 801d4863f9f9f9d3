import { describe, expect, it, vi } from "vitest";
import { ApiError, apiJson, errorFromBody } from "./client";
import { readAuth, writeAuth } from "./tokens";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("errorFromBody", () => {
  it("keeps the API's message", () => {
    expect(errorFromBody(409, { detail: "email already registered" })).toEqual(new ApiError(409, "email already registered"));
  });

  it("maps validation errors to their fields", () => {
    const error = errorFromBody(422, { detail: [{ loc: ["body", "email"], msg: "value is not a valid email address" }] });
    expect([error.message, error.fields]).toEqual([
      "email: value is not a valid email address",
      { email: "value is not a valid email address" },
    ]);
  });
});

describe("apiJson", () => {
  it("refreshes an expired access token once and retries with the new one", async () => {
    writeAuth({ user: { id: "u1", email: "a@b.co" }, accessToken: "old", refreshToken: "r1", expiresAt: null });
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("Authorization");
      if (url === "/api/auth/refresh")
        return json(200, { user: { id: "u1", email: "a@b.co" }, access_token: "new", refresh_token: "r2", expires_in: 900 });
      return auth === "Bearer new" ? json(200, [{ id: "s1" }]) : json(401, { detail: "token expired" });
    });
    vi.stubGlobal("fetch", fetchMock);
    expect(await apiJson("/api/sessions")).toEqual([{ id: "s1" }]);
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual(["/api/sessions", "/api/auth/refresh", "/api/sessions"]);
    expect(readAuth()?.refreshToken).toBe("r2");
  });

  it("signs out when the refresh token is refused", async () => {
    writeAuth({ user: { id: "u1", email: null }, accessToken: "old", refreshToken: "r1", expiresAt: null });
    vi.stubGlobal("fetch", vi.fn(async () => json(401, { detail: "invalid token" })));
    await expect(apiJson("/api/sessions")).rejects.toEqual(new ApiError(401, "invalid token"));
    expect(readAuth()).toBeNull();
  });

  it("turns a network failure into a readable error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(apiJson("/api/auth/config", { auth: false })).rejects.toEqual(
      new ApiError(0, "Cannot reach the server. Check your connection and try again."),
    );
  });
});
