import { describe, expect, it } from "vitest";
import { formatBytes, formatDay, formatListTime, formatPhone, initials, slugify } from "./format";

describe("format", () => {
  it("groups an international number", () => {
    expect(formatPhone("15550001111")).toBe("+1555 000 1111");
    expect(formatPhone("5511987654321")).toBe("+551198 765 4321");
    expect(formatPhone(null)).toBe("");
  });

  it("makes initials from a name, else from the number", () => {
    expect([initials("Alice Park", "1"), initials("bob", "1"), initials(null, "15550002222")]).toEqual(["AP", "BO", "22"]);
  });

  it("slugifies a display name into a session name", () => {
    expect([slugify("Support"), slugify("Vendas São Paulo!"), slugify("2nd line")]).toEqual(["support", "vendas-sao-paulo", "nd-line"]);
  });

  it("says Yesterday for yesterday's messages", () => {
    const now = new Date(2026, 10, 28, 12, 0);
    expect(formatListTime(new Date(2026, 10, 27, 23, 0).toISOString(), now)).toBe("Yesterday");
  });

  it("labels conversation days", () => {
    const now = new Date(2026, 10, 28, 12, 0);
    expect([formatDay(new Date(2026, 10, 28, 8).toISOString(), now), formatDay(new Date(2026, 10, 27, 8).toISOString(), now)])
      .toEqual(["Today", "Yesterday"]);
  });

  it("formats sizes", () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(3 * 1024 * 1024)]).toEqual(["512 B", "2 KB", "3.0 MB"]);
  });
});
