import { describe, expect, it } from "vitest";
import type { ContactPublic, MessagePublic } from "../api/types";
import { applyMessage } from "./useContacts";
import { applyAck, mergeMessages } from "./useMessages";

function message(id: number, at: string, extra: Partial<MessagePublic> = {}): MessagePublic {
  return {
    id, session_id: "s1", chat_id: "15550002222@c.us", message_id: `m${id}`, from_me: false, from_number: "15550002222",
    to_number: "15550001111", body: `text ${id}`, type: "text", media_url: null, media_mimetype: null, media_filename: null,
    ack: null, ack_name: null, timestamp: at, created_at: at, ...extra,
  };
}

function contact(chatId: string, unread: number): ContactPublic {
  return {
    id: 1, session_id: "s1", phone_number: chatId.split("@")[0], chat_id: chatId, name: null,
    last_message_at: "2026-11-28T10:00:00Z", last_message_preview: "old", unread_count: unread, created_at: "2026-11-28T09:00:00Z",
  };
}

describe("mergeMessages", () => {
  it("orders by time whatever the timestamp's format, and dedupes by WhatsApp id", () => {
    const merged = mergeMessages(
      [message(2, "2026-11-28T10:00:05.500+00:00"), message(1, "2026-11-28T10:00:05Z")],
      [message(2, "2026-11-28T10:00:05.500+00:00", { ack: 2 }), message(3, "2026-11-28T10:00:06Z")],
    );
    expect(merged.map((m) => [m.message_id, m.ack])).toEqual([["m1", null], ["m2", 2], ["m3", null]]);
  });
});

describe("applyAck", () => {
  it("moves forward only", () => {
    const read = applyAck([message(1, "2026-11-28T10:00:00Z", { ack: 3, ack_name: "READ" })], "m1", 2, "DEVICE");
    expect(read[0].ack).toBe(3);
    expect(applyAck(read, "m1", 4, "PLAYED")[0].ack_name).toBe("PLAYED");
  });
});

describe("applyMessage", () => {
  const list = [contact("15550003333@c.us", 0), contact("15550002222@c.us", 1)];

  it("moves the chat to the top with the new preview and one more unread", () => {
    const next = applyMessage(list, message(9, "2026-11-28T11:00:00Z", { body: "hello" }), null);
    expect(next?.map((c) => [c.chat_id, c.unread_count, c.last_message_preview])).toEqual([
      ["15550002222@c.us", 2, "hello"], ["15550003333@c.us", 0, "old"],
    ]);
  });

  it("does not count a message in the open chat, nor our own", () => {
    expect(applyMessage(list, message(9, "2026-11-28T11:00:00Z"), "15550002222@c.us")?.[0].unread_count).toBe(1);
    expect(applyMessage(list, message(9, "2026-11-28T11:00:00Z", { from_me: true }), null)?.[0].unread_count).toBe(1);
  });

  it("answers null for a chat it does not know (the list is re-read)", () => {
    expect(applyMessage(list, message(9, "2026-11-28T11:00:00Z", { chat_id: "15550009999@c.us" }), null)).toBeNull();
  });

  it("shows media as its kind", () => {
    const next = applyMessage(list, message(9, "2026-11-28T11:00:00Z", { type: "image", body: null }), null);
    expect(next?.[0].last_message_preview).toBe("[image]");
  });
});
