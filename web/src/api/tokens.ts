import type { TokenPublic, UserPublic } from "./types";

/** The signed-in account as kept in localStorage, so a reload keeps the user signed in. */
export interface StoredAuth {
  user: UserPublic;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds; null when the server did not say. */
  expiresAt: number | null;
}

const KEY = "conectafy.auth";
type Listener = (auth: StoredAuth | null) => void;
const listeners = new Set<Listener>();

export function readAuth(): StoredAuth | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredAuth) : null;
  } catch {
    return null; // a corrupt entry means "signed out", never a crash
  }
}

export function writeAuth(auth: StoredAuth | null): void {
  if (auth) localStorage.setItem(KEY, JSON.stringify(auth));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(auth));
}

/** Called with every change (login, refresh, logout), e.g. a refresh failing in the background. */
export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function fromTokenPublic(token: TokenPublic, now = Date.now()): StoredAuth | null {
  if (!token.access_token) return null;
  return {
    user: token.user,
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    expiresAt: token.expires_in ? now + token.expires_in * 1000 : null,
  };
}

/** True when the access token expires within `marginMs` (refresh before sending it). */
export function isExpiring(auth: StoredAuth, now = Date.now(), marginMs = 30_000): boolean {
  return auth.expiresAt !== null && auth.expiresAt - now < marginMs;
}
