// Light and dark themes: the system's choice (prefers-color-scheme) until the user picks one
// with the top bar's button; the pick is remembered (localStorage) and wins from then on.
//
// The page's colours are CSS variables (mare.css: :root is dark, [data-theme=light] and the
// system's light preference switch them); the map's are style.js THEMES, switched in place,
// after which the map rebuilds its layers.

import { setMapTheme } from "./style.js";

const KEY = "mare.theme";
const media = window.matchMedia?.("(prefers-color-scheme: light)");

/** "light" or "dark": the user's pick, else the system's. */
export function effectiveTheme() {
  const picked = localStorage.getItem(KEY);
  if (picked === "light" || picked === "dark") return picked;
  return media?.matches ? "light" : "dark";
}

/** Apply the theme in force to the page and to `map` (a MareMap, or null before it exists). */
export function applyTheme(map) {
  const picked = localStorage.getItem(KEY);
  if (picked === "light" || picked === "dark") document.documentElement.dataset.theme = picked;
  else delete document.documentElement.dataset.theme;
  const theme = effectiveTheme();
  document.documentElement.style.colorScheme = theme;
  setMapTheme(theme);
  map?.setTheme(theme);
  const button = document.getElementById("theme-toggle");
  if (button) {
    const other = theme === "dark" ? "light" : "dark";
    button.textContent = theme === "dark" ? "☀" : "☾";
    button.title = `Switch to the ${other} theme`;
    button.setAttribute("aria-label", button.title);
  }
  return theme;
}

/** Follow the system until a pick; the button switches and remembers. */
export function mountTheme(map) {
  applyTheme(map);
  media?.addEventListener?.("change", () => applyTheme(map));
  document.getElementById("theme-toggle")?.addEventListener("click", () => {
    localStorage.setItem(KEY, effectiveTheme() === "dark" ? "light" : "dark");
    applyTheme(map);
  });
}
