import { describe, expect, it } from "vitest";
import { ICONS } from "./names";
import solar from "./solar.json";

describe("bundled icons", () => {
  it("has every icon the app uses, so none is ever fetched from the network", () => {
    const bundled = new Set([...Object.keys(solar.icons), ...Object.keys((solar as { aliases?: object }).aliases ?? {})]);
    const missing = Object.values(ICONS).map((name) => name.replace("solar:", "")).filter((name) => !bundled.has(name));
    expect(missing).toEqual([]);
  });
});
