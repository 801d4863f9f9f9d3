/** What the API answers, as its pydantic schemas declare (api/schemas). */

export interface UserPublic {
  id: string;
  email: string | null;
}

export interface TokenPublic {
  user: UserPublic;
  access_token: string | null;
  refresh_token: string | null;
  token_type: "bearer";
  expires_in: number | null;
  confirmation_required: boolean;
}

export interface AuthConfigPublic {
  mode: "builtin" | "supabase";
  supabase_url?: string | null;
  supabase_anon_key?: string | null;
  password_min_length: number;
}

export type Engine = "GOWS" | "NOWEB" | "WEBJS";
export type RowStatus = "disconnected" | "connecting" | "connected" | "error";

export interface SessionPublic {
  id: string;
  name: string;
  display_name: string | null;
  engine: string | null;
  status: RowStatus;
  phase: string | null;
  wa_status: string | null;
  paused: boolean | null;
  phone_number: string | null;
  push_name: string | null;
  conditions: Array<Record<string, unknown>>;
  /** The Connected condition's reason; `DeviceUnlinked`: the phone unlinked this device, re-pair it. */
  reason?: string | null;
  created_at: string;
  updated_at: string;
  last_connected_at: string | null;
}

export type MessageType = "text" | "image" | "audio" | "video" | "document";

export interface MessagePublic {
  id: number;
  session_id: string;
  chat_id: string;
  message_id: string;
  from_me: boolean;
  from_number: string | null;
  to_number: string | null;
  body: string | null;
  type: MessageType;
  media_url: string | null;
  media_mimetype: string | null;
  media_filename: string | null;
  ack: number | null;
  ack_name: string | null;
  timestamp: string;
  created_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ContactPublic {
  id: number;
  session_id: string;
  phone_number: string;
  chat_id: string;
  name: string | null;
  last_message_at: string;
  last_message_preview: string | null;
  unread_count: number;
  created_at: string;
}
