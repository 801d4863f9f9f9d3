/** Light/dark theme: the `dark` class and data-theme on <html>, remembered in localStorage. */
const KEY = "conectafy.theme";

export type Theme = "light" | "dark";

export function currentTheme(): Theme {
  return document.documentElement.classList.contains("dark") ? "dark" : "light";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.classList.toggle("dark", theme === "dark");
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(KEY, theme);
}
