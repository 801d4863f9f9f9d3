/** The demo-only routes (api/routes/demo.py): 404 outside `conectafy demo`. Every call is simulation. */
import { ApiError, apiJson } from "../api/client";

export interface DemoPublic {
  demo: boolean;
  real: string[];
  simulated: string[];
}

export type PhoneMessageKind = "text" | "image" | "document";

export interface PhoneMessage {
  contact: string;
  contact_name?: string;
  type: PhoneMessageKind;
  text?: string;
  filename?: string;
}

export interface PhoneAnswer {
  status: string | null;
  message_id: string | null;
}

const phonePath = (sessionId: string) => `/api/demo/sessions/${encodeURIComponent(sessionId)}/phone`;

export const demoApi = {
  /** The demo's facts, or null when this API is not a demo (or too old to say). */
  info: async (): Promise<DemoPublic | null> => {
    try {
      const info = await apiJson<DemoPublic>("/api/demo", { auth: false });
      return info.demo ? info : null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  scan: (sessionId: string) => apiJson<PhoneAnswer>(`${phonePath(sessionId)}/scan`, { method: "POST", json: {} }),
  message: (sessionId: string, message: PhoneMessage) =>
    apiJson<PhoneAnswer>(`${phonePath(sessionId)}/messages`, { method: "POST", json: message }),
  logout: (sessionId: string) => apiJson<PhoneAnswer>(`${phonePath(sessionId)}/logout`, { method: "POST" }),
};
