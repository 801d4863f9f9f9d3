import type { Engine } from "../api/types";

/** The WAHA engines a number can run on, with the one line a user needs to choose. */
export const ENGINES: Array<{ value: Engine; label: string; hint: string }> = [
  { value: "GOWS", label: "GOWS", hint: "Recommended. Fast and light (Go, WebSocket protocol); supports most features." },
  { value: "NOWEB", label: "NOWEB", hint: "Node.js, WebSocket protocol: no browser inside, low memory use." },
  { value: "WEBJS", label: "WEBJS", hint: "Runs WhatsApp Web in a real browser: most compatible, heaviest on memory." },
];
