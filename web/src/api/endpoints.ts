/** One function per API route the dashboard uses (api/routes in the Python package). */
import { apiFetch, apiJson } from "./client";
import type {
  AuthConfigPublic,
  ContactPublic,
  Engine,
  MessagePublic,
  Page,
  SessionPublic,
  TokenPublic,
  UserPublic,
} from "./types";

export type SessionAction = "stop" | "start" | "restart";

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;
const chatPath = (sessionId: string, chatId: string) =>
  `${sessionPath(sessionId)}/chats/${encodeURIComponent(chatId)}`;

export const authApi = {
  config: () => apiJson<AuthConfigPublic>("/api/auth/config", { auth: false }),
  register: (email: string, password: string) =>
    apiJson<TokenPublic>("/api/auth/register", { method: "POST", json: { email, password }, auth: false }),
  login: (email: string, password: string) =>
    apiJson<TokenPublic>("/api/auth/login", { method: "POST", json: { email, password }, auth: false }),
  logout: (refreshToken: string | null) =>
    apiJson<void>("/api/auth/logout", { method: "POST", json: { refresh_token: refreshToken } }),
  me: () => apiJson<UserPublic>("/api/auth/me"),
};

export const sessionsApi = {
  list: () => apiJson<SessionPublic[]>("/api/sessions"),
  get: (id: string) => apiJson<SessionPublic>(sessionPath(id)),
  create: (body: { name: string; engine: Engine; display_name?: string }) =>
    apiJson<SessionPublic>("/api/sessions", { method: "POST", json: body }),
  act: (id: string, action: SessionAction) =>
    apiJson<SessionPublic>(`${sessionPath(id)}/${action}`, { method: "POST" }),
  logout: (id: string) => apiJson<void>(`${sessionPath(id)}/logout`, { method: "POST" }),
  remove: (id: string) => apiJson<void>(sessionPath(id), { method: "DELETE" }),
  /** The QR as a PNG blob (the image needs the bearer token, so it cannot be a plain <img src>). */
  qrImage: async (id: string) => (await apiFetch(`${sessionPath(id)}/qr`, { cache: "no-store" })).blob(),
  pairingCode: (id: string, phoneNumber: string) =>
    apiJson<{ code: string }>(`${sessionPath(id)}/pairing-code`, {
      method: "POST",
      json: { phone_number: phoneNumber },
    }),
};

export const chatsApi = {
  contacts: (sessionId: string, params: { search?: string; cursor?: string | null; limit?: number }) => {
    const query = new URLSearchParams({ unread_first: "false", limit: String(params.limit ?? 50) });
    if (params.search) query.set("search", params.search);
    if (params.cursor) query.set("cursor", params.cursor);
    return apiJson<Page<ContactPublic>>(`${sessionPath(sessionId)}/contacts?${query}`);
  },
  messages: (sessionId: string, chatId: string, before?: string | null, limit = 40) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before) query.set("before", before);
    return apiJson<Page<MessagePublic>>(`${chatPath(sessionId, chatId)}/messages?${query}`);
  },
  markRead: (sessionId: string, chatId: string) =>
    apiJson<{ chat_id: string; unread_count: number }>(`${chatPath(sessionId, chatId)}/read`, { method: "POST" }),
  sendText: (sessionId: string, chatId: string, text: string) =>
    apiJson<MessagePublic>(`${chatPath(sessionId, chatId)}/messages`, { method: "POST", json: { text } }),
  /**
   * A message's media file as a blob, through the API's same-origin media route (the API streams it
   * from its S3 copy or from the session's WAHA; WAHA's own URL never reaches the browser). The route
   * needs the bearer token, so the file cannot be a plain <img src>.
   */
  media: async (sessionId: string, messageId: number, signal?: AbortSignal) =>
    (await apiFetch(`${sessionPath(sessionId)}/messages/${messageId}/media`, { signal })).blob(),
  sendMedia: (sessionId: string, chatId: string, file: File, caption?: string) => {
    const form = new FormData();
    form.set("file", file);
    if (caption) form.set("caption", caption);
    return apiJson<MessagePublic>(`${chatPath(sessionId, chatId)}/media`, { method: "POST", body: form });
  },
};
