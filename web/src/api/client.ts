import { fromTokenPublic, isExpiring, readAuth, writeAuth } from "./tokens";
import type { TokenPublic } from "./types";

/** An API answer other than 2xx, with the message the API meant for the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ValidationItem {
  loc?: Array<string | number>;
  msg?: string;
}

/** FastAPI's `detail` is a string, or a list of validation errors with the field in `loc`. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail)) {
    const fields: Record<string, string> = {};
    for (const item of detail as ValidationItem[]) {
      const field = String(item.loc?.[item.loc.length - 1] ?? "request");
      fields[field] = (item.msg ?? "is invalid").replace(/^Value error, /, "");
    }
    const message = Object.entries(fields).map(([field, msg]) => `${field}: ${msg}`).join("; ");
    return new ApiError(status, message || "The request was not valid.", fields);
  }
  if (status >= 500) return new ApiError(status, "The server had a problem. Please try again in a moment.");
  return new ApiError(status, `Request failed (${status}).`);
}

let refreshing: Promise<string | null> | null = null;

/** Trade the refresh token for a new pair; concurrent callers share one request. Null: signed out. */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    const auth = readAuth();
    if (!auth?.refreshToken) return null;
    try {
      const response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: auth.refreshToken }),
      });
      if (response.status === 401 || response.status === 422) {
        writeAuth(null);
        return null;
      }
      if (!response.ok) return null; // server trouble: keep the session, try again later
      const next = fromTokenPublic((await response.json()) as TokenPublic);
      writeAuth(next);
      return next?.accessToken ?? null;
    } catch {
      return null;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A valid access token: the stored one, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  const auth = readAuth();
  if (!auth) return null;
  if (isExpiring(auth)) return (await refreshAccessToken()) ?? readAuth()?.accessToken ?? null;
  return auth.accessToken;
}

export interface RequestOptions extends Omit<RequestInit, "body"> {
  json?: unknown;
  body?: BodyInit;
  auth?: boolean;
}

async function send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const { json, auth: _auth, headers, ...init } = options;
  const merged = new Headers(headers);
  if (token) merged.set("Authorization", `Bearer ${token}`);
  if (json !== undefined) merged.set("Content-Type", "application/json");
  return fetch(path, { ...init, headers: merged, body: json !== undefined ? JSON.stringify(json) : options.body });
}

/** fetch() for the API: bearer token, one refresh-and-retry on 401, errors as ApiError. */
export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const useAuth = options.auth ?? true;
  let response: Response;
  try {
    response = await send(path, options, useAuth ? await accessToken() : null);
    if (useAuth && response.status === 401) {
      const renewed = await refreshAccessToken();
      if (renewed) response = await send(path, options, renewed);
      else writeAuth(null);
    }
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw errorFromBody(response.status, body);
  }
  return response;
}

export async function apiJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  return (response.status === 204 ? undefined : await response.json()) as T;
}
