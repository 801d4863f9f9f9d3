import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";

/** Renders inside a router (links and params work) at `path`. */
export function renderAt(ui: ReactElement, path = "/") {
  return render(<MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>);
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A fetch double answering by "METHOD path" (query string ignored); unknown routes are a 404. */
export function stubApi(routes: Record<string, (init?: RequestInit) => Response>) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const key = `${init?.method ?? "GET"} ${url.split("?")[0]}`;
    return routes[key]?.(init) ?? jsonResponse(404, { detail: `no route ${key}` });
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}
