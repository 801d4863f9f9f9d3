/** Small display helpers shared by the chat and sessions pages (pure, tested). */

/** "+1 555 000 2222"-style grouping of an international number, digits kept as given. */
export function formatPhone(number: string | null | undefined): string {
  if (!number) return "";
  const digits = number.replace(/\D/g, "");
  if (digits.length < 8) return `+${digits}`;
  const head = digits.slice(0, digits.length - 7);
  return `+${head} ${digits.slice(-7, -4)} ${digits.slice(-4)}`;
}

/** Contact-list time: the clock for today, "Yesterday", the weekday this week, else the date. */
export function formatListTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  if (date.getTime() >= startOfToday) return formatClock(iso);
  if (date.getTime() >= startOfToday - day) return "Yesterday";
  if (date.getTime() >= startOfToday - 6 * day) return date.toLocaleDateString(undefined, { weekday: "short" });
  return date.toLocaleDateString(undefined, { day: "2-digit", month: "2-digit", year: "2-digit" });
}

export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Two letters for an avatar: initials of the name, else the last two digits of the number. */
export function initials(name: string | null | undefined, fallback: string): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length >= 2) return (words[0][0] + words[1][0]).toUpperCase();
  if (words.length === 1) return words[0].slice(0, 2).toUpperCase();
  return fallback.replace(/\D/g, "").slice(-2) || "?";
}

/** Session names as the API accepts them: a lower-case slug starting with a letter (NAME_PATTERN). */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 46);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The label of a conversation's day separator: "Today", "Yesterday", else the full date. */
export function formatDay(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((day(now) - day(date)) / 86_400_000);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  return date.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}
