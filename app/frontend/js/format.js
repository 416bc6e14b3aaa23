// Formatting and tiny DOM helpers shared by the panels. Text always goes in through
// textContent (h() never parses HTML), so names from the AIS feed cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function parseTime(iso) {
  return iso ? Date.parse(iso) : NaN;
}

export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

export function fmtHours(hours) {
  return Number.isFinite(hours) ? fmtDuration(hours * 3_600_000) : "–";
}

let clockOffsetMs = 0;

/** Follow the service's event time (``/stats`` event_time): ages count from it. */
export function setEventTime(iso) {
  const t = parseTime(iso);
  if (Number.isFinite(t)) clockOffsetMs = t - Date.now();
}

/** "Now" on the engine's clock: the browser's clock moved to the service's event time. */
export function eventNow() {
  return Date.now() + clockOffsetMs;
}

export function fmtAgo(iso, now = eventNow()) {
  const t = parseTime(iso);
  return Number.isFinite(t) ? `${fmtDuration(now - t)} ago` : "–";
}

/** UTC time as operations rooms write it: 2026-06-01 03:10Z. */
export function fmtUtc(iso) {
  const t = typeof iso === "number" ? iso : parseTime(iso);
  if (!Number.isFinite(t)) return "–";
  return new Date(t).toISOString().slice(0, 16).replace("T", " ") + "Z";
}

export function fmtClock(iso) {
  const t = typeof iso === "number" ? iso : parseTime(iso);
  if (!Number.isFinite(t)) return "–";
  return new Date(t).toISOString().slice(11, 16) + "Z";
}

export function fmtNum(v, digits = 1, unit = "") {
  return v === null || v === undefined || !Number.isFinite(Number(v))
    ? "–"
    : `${Number(v).toFixed(digits)}${unit}`;
}

export function fmtLatLon(lat, lon) {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return "–";
  const f = (v, p, n) => `${Math.abs(v).toFixed(4)}°${v >= 0 ? p : n}`;
  return `${f(lat, "N", "S")} ${f(lon, "E", "W")}`;
}

const regionNames = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "region" });
  } catch {
    return null;
  }
})();

export function flagName(code) {
  if (!code) return "unknown flag";
  try {
    return regionNames ? `${regionNames.of(code)} (${code})` : code;
  } catch {
    return code;
  }
}

export const KIND_TEXT = {
  zone_entry: "Zone entry",
  zone_exit: "Zone exit",
  zone_dwell: "Zone dwell",
  loitering: "Loitering",
  encounter: "Encounter",
  ais_gap: "AIS gap (dark)",
  position_jump: "Position jump",
  identity_change: "Identity change",
  invalid_mmsi: "Invalid MMSI",
  watchlist_match: "Watchlist match",
  partner_report: "Partner report",
};

export function kindText(kind) {
  return KIND_TEXT[kind] || String(kind || "").replaceAll("_", " ");
}

/**
 * Who an alert is about, as people name it: "SIRTE SPIRIT · 642898259", or for a dark target
 * (whose number stands in the MMSI field) "DT-532443 · no AIS".
 */
export function alertSubject(a) {
  const target = a.details?.target;
  if (a.kind === "dark_target" && target) return `${target} · no AIS`;
  return a.vessel_name ? `${a.vessel_name} · ${a.mmsi}` : a.mmsi ? String(a.mmsi) : "no MMSI";
}

export function vesselLabel(v) {
  if (!v) return "–";
  return v.name ? `${v.name} (${v.mmsi})` : String(v.mmsi);
}

let toastTimer = 0;
export function toast(text) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 3500);
}

/** A UTC time field: text "2026-06-01 03:10", 24-hour, whatever the browser's locale (a
 * datetime-local input shows 12-hour AM/PM in an en-US browser, and the browser's zone). */
export const UTC_PATTERN = "\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?";
export const UTC_FIELD = { type: "text", pattern: UTC_PATTERN, placeholder: "YYYY-MM-DD HH:MM", inputmode: "numeric" };

/** ISO string for a UTC field's value ("2026-06-01 03:10" or with a T), or null. */
export function localInputToIso(value) {
  const v = String(value || "").trim().replace(" ", "T");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) return null;
  return `${v.length === 16 ? v + ":00" : v}Z`;
}

/** A UTC field's value for a time in ms: "2026-06-01 03:10". */
export function isoToLocalInput(ms) {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}
