import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { readAuth } from "../api/tokens";
import { AuthProvider } from "../auth/AuthProvider";
import { jsonResponse, renderAt, stubApi } from "../test/render";
import { AuthPage } from "./AuthPage";

const CONFIG = { mode: "builtin", password_min_length: 10 };

function renderPage(mode: "login" | "register") {
  return renderAt(<AuthProvider><AuthPage mode={mode} /></AuthProvider>, `/${mode}`);
}

describe("AuthPage", () => {
  it("explains what is wrong before sending anything", async () => {
    const api = stubApi({ "GET /api/auth/config": () => jsonResponse(200, CONFIG) });
    renderPage("register");
    await userEvent.type(screen.getByLabelText("Email"), "not-an-email");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("That does not look like an email address.")).toBeVisible();
    expect(screen.getByText("Use at least 10 characters.")).toBeVisible();
    expect(api.mock.calls.map(([url]) => url)).toEqual(["/api/auth/config"]);
  });

  it("says so when the password is wrong", async () => {
    stubApi({
      "GET /api/auth/config": () => jsonResponse(200, CONFIG),
      "POST /api/auth/login": () => jsonResponse(401, { detail: "invalid email or password" }),
    });
    renderPage("login");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrong password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(readAuth()).toBeNull();
  });

  it("tells a Supabase user to confirm the email when sign-up returns no session", async () => {
    stubApi({
      "GET /api/auth/config": () => jsonResponse(200, { ...CONFIG, mode: "supabase" }),
      "POST /api/auth/register": () => jsonResponse(201, {
        user: { id: "u1", email: "ana@example.com" }, access_token: null, refresh_token: null,
        token_type: "bearer", expires_in: null, confirmation_required: true,
      }),
    });
    renderPage("register");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a long enough password");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("We sent a confirmation link to ana@example.com. Open it, then sign in.")).toBeVisible();
  });

  it("keeps the tokens after a successful sign-in (the session survives a reload)", async () => {
    stubApi({
      "GET /api/auth/config": () => jsonResponse(200, CONFIG),
      "POST /api/auth/login": () => jsonResponse(200, {
        user: { id: "u1", email: "ana@example.com" }, access_token: "a1", refresh_token: "r1",
        token_type: "bearer", expires_in: 900, confirmation_required: false,
      }),
    });
    renderPage("login");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a long enough password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await expect.poll(() => readAuth()?.accessToken).toBe("a1");
    expect(readAuth()).toMatchObject({ user: { id: "u1", email: "ana@example.com" }, refreshToken: "r1" });
  });
});
