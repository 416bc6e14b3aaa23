// The keyboard: the alert list walked with j/k or the arrows (Enter opens the alert, as a
// click does), and "?" for the overlay that lists every shortcut. The map's own keys (arrows
// pan, +/- zoom) are the map's (chart.js keyView); "/" and Escape are main.js's.

import { h } from "./format.js";

export const SHORTCUTS = [
  ["/", "Search vessels"],
  ["Esc", "Close the panel, the dialog or this list; leave drawing"],
  ["← ↑ → ↓", "Pan the map (when the map has the focus; Shift: further)"],
  ["+  −", "Zoom the map in and out"],
  ["j  k  (↓ ↑ in the list)", "Next and previous alert"],
  ["Enter", "Open the alert or vessel in focus; close a drawn area"],
  ["Space", "Play or pause the replay"],
  ["a", "Own asset at the map's centre (map in focus)"],
  ["?", "This list"],
];

function typing(el) {
  return !!el?.closest?.("input, select, textarea, [contenteditable]");
}

/** The alert rows' open buttons, in list order. */
function alertButtons(list) {
  return [...list.querySelectorAll(".alert .what")];
}

/** Move the focus `step` rows in the alert list (from the row in focus, else from the top). */
export function stepAlerts(list, step) {
  const rows = alertButtons(list);
  if (!rows.length) return null;
  const at = rows.findIndex((b) => b.closest(".alert")?.contains(document.activeElement));
  const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
  return next;
}

let overlay = null;

export function closeShortcuts() {
  overlay?.remove();
  overlay = null;
}

/** The "?" overlay: a modal list of the shortcuts; any of Esc, ? or a click closes it. */
export function showShortcuts() {
  if (overlay) return closeShortcuts();
  const close = h("button", { type: "button", class: "ghost", onclick: closeShortcuts }, "Close");
  overlay = h(
    "div",
    { class: "dialog-backdrop shortcuts-backdrop", onclick: (ev) => ev.target === overlay && closeShortcuts() },
    h(
      "section",
      { class: "dialog card shortcuts", role: "dialog", "aria-modal": "true", "aria-labelledby": "shortcuts-title", id: "shortcuts" },
      h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
      h("dl", { class: "kv keys" }, SHORTCUTS.map(([k, what]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, what)])),
      h("div", { class: "row" }, close),
    ),
  );
  document.body.append(overlay);
  close.focus();
}

/** Listen for the shortcuts on the document (capture: the overlay's Escape goes first). */
export function mountKeys({ alertList }) {
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (overlay && (ev.key === "Escape" || ev.key === "?")) {
      ev.preventDefault();
      ev.stopPropagation(); // before main.js's Escape, which would close the panel too
      closeShortcuts();
      return;
    }
    if (typing(ev.target) || document.querySelector(".dialog-backdrop:not(.shortcuts-backdrop)")) return;
    const inList = alertList.contains(ev.target);
    if (ev.key === "?") {
      ev.preventDefault();
      showShortcuts();
    } else if (ev.key === "j" || ev.key === "k" || (inList && (ev.key === "ArrowDown" || ev.key === "ArrowUp"))) {
      ev.preventDefault();
      stepAlerts(alertList, ev.key === "j" || ev.key === "ArrowDown" ? 1 : -1);
    }
  }, true);
}
