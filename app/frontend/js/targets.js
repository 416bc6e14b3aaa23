// Boats without AIS: dark targets drawn apart from AIS vessels (magenta, labelled with their
// age and who saw them), their reachable area at the speed of their kind and "who gets there
// first", and contacts reported by right-click on the map (/api/v1/contacts?via=dashboard).
// The list comes from /api/v1/targets every 10 s; liaisons get their zones' targets only.

import { api } from "./api.js";
import { openDialog } from "./dialog.js";
import { eventNow, fmtDuration, fmtHours, fmtLatLon, fmtNum, fmtUtc, h, isoToLocalInput, localInputToIso, toast, UTC_FIELD } from "./format.js";

/** The dark targets' colour: magenta, which no vessel risk colour uses (legend: "no AIS"). */
export const TARGET_COLOR = [236, 72, 190];
const EDITORS = new Set(["admin", "officer"]);
export const CONTACT_KINDS = [
  { value: "aircraft", label: "Aircraft / drone sighting" },
  { value: "vessel", label: "Ship's report" },
  { value: "radar", label: "Radar" },
  { value: "sar", label: "SAR satellite detection" },
  { value: "optical", label: "Optical satellite detection" },
  { value: "hotline", label: "Hotline call" },
  { value: "other", label: "Other" },
];
const ASSET_COLORS = [
  [95, 191, 138],
  [154, 216, 255],
  [190, 120, 230],
  [230, 200, 80],
];

/** "DT-123456 · sar S1A · 25 min": a target's label on the map. */
export function targetLabel(t, now = eventNow()) {
  const age = fmtDuration(now - t.last_seen_ms);
  return `${t.target} · ${t.source || t.kinds.join(",")} · ${age}`;
}

export class Targets {
  constructor({ map, user, panel }) {
    this.map = map;
    this.user = user;
    this.panel = panel;
    this.list = [];
    this.key = "";
    this.timer = 0;
    this.seq = 0;
  }

  get canReport() {
    return EDITORS.has(this.user.role);
  }

  start() {
    this.load();
    this.timer = setInterval(() => this.load(), 10_000);
  }

  async load() {
    try {
      const list = await api("/targets");
      const next = Array.isArray(list) ? list : [];
      // Redraw only on a change: a new layer every poll would cost a frame for nothing.
      const key = JSON.stringify(next.map((t) => [t.number, t.last_seen_ms, t.n_contacts, t.closed]));
      if (key === this.key) return;
      this.key = key;
      this.list = next;
      this.map.set({ targets: this.list });
    } catch (err) {
      toast(`Dark targets unavailable: ${err.message}`);
    }
  }

  /** Right-click on the map: report a contact there (a sighting, a call, a detection). */
  async report(lon, lat) {
    const vals = await openDialog({
      title: `Contact at ${fmtLatLon(lat, lon)}`,
      body: h("p", { class: "muted" }, "A boat seen without AIS. Time in UTC."),
      fields: [
        { name: "time", label: "Time (UTC)", ...UTC_FIELD, value: isoToLocalInput(eventNow()), required: true },
        { name: "kind", label: "Seen by", type: "select", value: "aircraft", options: CONTACT_KINDS },
        { name: "source", label: "Source (callsign, satellite, line)" },
        { name: "radius_m", label: "Uncertainty (m, empty: the kind's default)", type: "number", min: 1, max: 100000 },
        { name: "people", label: "People on board", type: "number", min: 0, max: 10000 },
        { name: "length_m", label: "Length (m)", type: "number", min: 1, max: 500 },
        { name: "speed_kn", label: "Speed (kn)", type: "number", min: 0, max: 100 },
        { name: "course", label: "Course (°)", type: "number", min: 0, max: 360 },
        { name: "note", label: "Note", type: "textarea" },
      ],
      submitLabel: "Report contact",
    });
    if (!vals) return;
    const num = (v) => (v === undefined || v === "" ? null : Number(v));
    const body = {
      time: localInputToIso(vals.time),
      lat: Math.round(lat * 1e5) / 1e5,
      lon: Math.round(lon * 1e5) / 1e5,
      kind: vals.kind,
      source: vals.source || "",
      radius_m: num(vals.radius_m),
      people: num(vals.people),
      length_m: num(vals.length_m),
      speed_kn: num(vals.speed_kn),
      course: num(vals.course),
      note: vals.note || "",
    };
    try {
      await api("/contacts", { method: "POST", params: { via: "dashboard" }, body });
      toast("Contact reported; the engine fuses it with the AIS picture in a few minutes");
    } catch (err) {
      toast(`Could not report the contact: ${err.message}`);
    }
  }

  /** Open a dark target by its number (an alert's ``mmsi``), closed ones included. */
  async openNumber(number) {
    try {
      await this.open(await api(`/targets/${number}`));
    } catch (err) {
      toast(`Dark target ${number}: ${err.message}`);
    }
  }

  /** A click on a dark target: its details, its reachable area and who gets there first. */
  async open(t) {
    const seq = ++this.seq;
    const panel = this.panel;
    panel.mmsi = null;
    panel.seq++; // a vessel's late answers must not draw over this target
    panel.root.hidden = false;
    panel.map.set({ track: null, reach: null, intercepts: null });
    const seen = t.contacts.map((c) =>
      h("li", {}, `${fmtUtc(c.time)} · ${c.kind}${c.source ? ` ${c.source}` : ""}`, c.people ? ` · ${c.people} people` : "", c.note ? ` · ${c.note}` : ""),
    );
    panel.body.replaceChildren(
      h("h2", { id: "target-title" }, `${t.target}: boat without AIS`),
      h(
        "p",
        {},
        `Last seen ${fmtUtc(t.last_seen)} (${fmtDuration(eventNow() - t.last_seen_ms)} ago) by ${t.source}, at ${fmtLatLon(t.lat, t.lon)}`,
        t.people ? `; ${t.people} people on board` : "",
        t.length_m ? `; ${fmtNum(t.length_m, 0)} m` : "",
        t.speed_kn !== null ? `; ${fmtNum(t.speed_kn, 1)} kn` : "",
        t.course !== null ? ` on ${fmtNum(t.course, 0)}°` : "",
        ".",
      ),
      ...(t.associated.length ? [h("p", { class: "warn" }, `Met or escorted by AIS vessel(s) ${t.associated.join(", ")}.`)] : []),
      h("h3", {}, `Contacts (${t.n_contacts})`),
      h("ul", { class: "intercepts" }, seen),
      h("h3", {}, "Where it could be now"),
      h("div", { id: "reach-info", class: "muted" }, "Computing the reachable area…"),
      h("div", { id: "intercepts" }),
    );
    try {
      const fc = await api(`/targets/${t.number}/reach`);
      if (seq !== this.seq) return;
      panel.map.set({ reach: fc });
      const area = fc.features.find((f) => f.properties.kind === "reachable");
      const el = panel.body.querySelector("#reach-info");
      if (el && area) {
        const p = area.properties;
        el.textContent =
          `Within ${fmtNum(p.radius_nm, 0)} nm of its last contact (up to ${fmtNum(p.max_speed_kn, 0)} kn, ` +
          `the bound for its kind, for ${fmtHours(p.elapsed_h)}${p.land_clipped ? ", land cut out" : ""}).`;
      }
    } catch (err) {
      const el = panel.body.querySelector("#reach-info");
      if (el) el.textContent = `Reach unavailable: ${err.message}`;
    }
    let data;
    try {
      data = await api(`/targets/${t.number}/intercepts`);
    } catch (err) {
      const el = panel.body.querySelector("#intercepts");
      if (el) el.replaceChildren(h("p", { class: "muted" }, `Intercepts unavailable: ${err.message}`));
      return;
    }
    if (seq !== this.seq) return;
    const lines = [];
    const points = [];
    const rows = (data.area_reach || []).map((a, rank) => {
      const color = ASSET_COLORS[rank % ASSET_COLORS.length];
      if (a.position) {
        points.push({ position: [a.position.lon, a.position.lat], color: [...color, 255], radius: 6, label: `${a.asset}: ${fmtHours(a.nearest_h)}`, kind: "asset" });
        lines.push({ from: [a.position.lon, a.position.lat], to: [t.lon, t.lat], color: [...color, 160] });
      }
      return h(
        "li",
        {},
        h("b", {}, a.asset),
        `: reaches the area in ${fmtHours(a.nearest_h)}; `,
        a.cover_h === null || a.cover_h === undefined ? h("span", { class: "muted" }, a.reason || "cannot cover it") : `covers all of it in ${fmtHours(a.cover_h)}`,
      );
    });
    panel.map.set({ intercepts: { lines, points } });
    const el = panel.body.querySelector("#intercepts");
    if (el) {
      el.replaceChildren(
        h("h3", {}, "Who gets there first"),
        rows.length ? h("ol", { class: "intercepts", id: "area-reach" }, rows) : h("p", { class: "muted" }, "No own asset with a position."),
      );
    }
  }
}
