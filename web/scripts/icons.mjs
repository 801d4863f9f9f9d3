// Writes src/icons/solar.json: only the Solar icons listed in src/icons/names.ts (a few KB instead of
// the whole 7,000-icon set), so the dashboard bundles its icons and never asks the Iconify API.
import { readFileSync, writeFileSync } from "node:fs";
import { getIcons } from "@iconify/utils";

const names = [...readFileSync(new URL("../src/icons/names.ts", import.meta.url), "utf8").matchAll(/"solar:([a-z0-9-]+)"/g)]
  .map((match) => match[1]);
const solar = JSON.parse(readFileSync(new URL("../node_modules/@iconify-json/solar/icons.json", import.meta.url), "utf8"));
const subset = getIcons(solar, names, true);
const missing = names.filter((name) => !subset?.icons[name] && !subset?.aliases?.[name]);
if (!subset || missing.length) {
  console.error(`unknown Solar icons: ${missing.join(", ")}`);
  process.exit(1);
}
writeFileSync(new URL("../src/icons/solar.json", import.meta.url), JSON.stringify(subset) + "\n");
console.log(`src/icons/solar.json: ${names.length} icons`);
