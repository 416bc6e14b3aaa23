// Filters (type, flag, risk, zone, class) applied in the page to the live store, and the search
// box (the service's /vessels/search: name prefix, MMSI, IMO, call sign).
//
// Filtering is local so it answers at once on 10,000 vessels: a hidden vessel gets size 0 in the
// store's size column (deck.gl draws nothing and picks nothing there). The zone filter needs
// geometry, so it asks the service once for the MMSIs inside the zone and refreshes that set.

import { api, listAll } from "./api.js";
import { h } from "./format.js";
import { TYPE_FAMILIES, typeFamily } from "./style.js";

export class Filters {
  constructor({ store, onChange }) {
    this.store = store;
    this.onChange = onChange;
    this.types = new Set();
    this.classes = new Set();
    this.flags = new Set();
    this.minRisk = 0;
    this.zone = "";
    this.zoneMembers = null;
    this.zoneTimer = 0;
  }

  mount() {
    const typeBox = document.getElementById("filter-type");
    typeBox.replaceChildren(
      ...TYPE_FAMILIES.map((f) =>
        h("button", { type: "button", "aria-pressed": "false", dataset: { type: f.id }, onclick: (ev) => this.toggle(this.types, f.id, ev.currentTarget) }, f.label),
      ),
    );
    const classBox = document.getElementById("filter-class");
    classBox.replaceChildren(
      ...["A", "B"].map((c) =>
        h("button", { type: "button", "aria-pressed": "false", dataset: { cls: c }, onclick: (ev) => this.toggle(this.classes, c, ev.currentTarget) }, `Class ${c}`),
      ),
    );
    const risk = document.getElementById("filter-risk");
    const riskOut = document.getElementById("filter-risk-value");
    risk.addEventListener("input", () => {
      this.minRisk = Number(risk.value);
      riskOut.textContent = risk.value;
      this.apply();
    });
    const flag = document.getElementById("filter-flag");
    flag.addEventListener("change", () => {
      this.flags = new Set(flag.value.split(/[\s,]+/).map((s) => s.trim().toUpperCase()).filter(Boolean));
      this.apply();
    });
    const zone = document.getElementById("filter-zone");
    zone.addEventListener("change", () => this.setZone(zone.value));
    document.getElementById("filters-clear").addEventListener("click", () => {
      this.types.clear();
      this.classes.clear();
      this.flags.clear();
      this.minRisk = 0;
      risk.value = "0";
      riskOut.textContent = "0";
      flag.value = "";
      zone.value = "";
      document.querySelectorAll("#filters .chips button").forEach((b) => b.setAttribute("aria-pressed", "false"));
      this.setZone("");
    });
  }

  setZoneOptions(fc) {
    const sel = document.getElementById("filter-zone");
    const current = sel.value;
    sel.replaceChildren(
      h("option", { value: "" }, "Any zone"),
      ...(fc?.features || [])
        .map((f) => f.properties)
        .sort((a, b) => String(a.name).localeCompare(String(b.name)))
        .map((p) => h("option", { value: p.id, selected: p.id === current }, p.name || p.id)),
    );
  }

  toggle(set, value, btn) {
    if (set.has(value)) set.delete(value);
    else set.add(value);
    btn.setAttribute("aria-pressed", String(set.has(value)));
    this.apply();
  }

  async setZone(id) {
    this.zone = id;
    clearInterval(this.zoneTimer);
    this.zoneMembers = null;
    if (id) {
      await this.refreshZone();
      this.zoneTimer = setInterval(() => this.refreshZone(), 30_000);
    }
    this.apply();
  }

  async refreshZone() {
    if (!this.zone) return;
    try {
      const items = await listAll("/vessels", { zone: this.zone, limit: 10000 });
      this.zoneMembers = new Set(items.map((v) => Number(v.mmsi)));
      this.apply();
    } catch {
      this.zoneMembers = new Set();
    }
  }

  count() {
    return this.types.size + this.classes.size + this.flags.size + (this.minRisk > 0) + (this.zone ? 1 : 0);
  }

  predicate() {
    if (this.count() === 0) return () => true;
    const types = this.types;
    const classes = this.classes;
    const flags = this.flags;
    const minRisk = this.minRisk;
    const members = this.zone ? this.zoneMembers || new Set() : null;
    return (v) =>
      (types.size === 0 || types.has(typeFamily(v.ship_type))) &&
      (classes.size === 0 || classes.has(v.ais_class)) &&
      (flags.size === 0 || flags.has(v.flag)) &&
      (Number(v.risk) || 0) >= minRisk &&
      (members === null || members.has(Number(v.mmsi)));
  }

  apply() {
    this.store.visible = this.predicate();
    this.store.restyle();
    const badge = document.getElementById("filter-count");
    const n = this.count();
    badge.hidden = n === 0;
    badge.textContent = String(n);
    this.onChange?.();
  }
}

export class Search {
  constructor({ input, results, onPick }) {
    this.input = input;
    this.results = results;
    this.onPick = onPick;
    this.items = [];
    this.active = -1;
    this.timer = 0;
    this.seq = 0;
  }

  mount() {
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.query(), 150);
    });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown") this.move(1, ev);
      else if (ev.key === "ArrowUp") this.move(-1, ev);
      else if (ev.key === "Escape") this.hide();
      else if (ev.key === "Enter") {
        ev.preventDefault();
        const pick = this.items[this.active >= 0 ? this.active : 0];
        if (pick) this.pick(pick);
        else this.query(true);
      }
    });
    this.input.closest("form").addEventListener("submit", (ev) => ev.preventDefault());
    document.addEventListener("click", (ev) => {
      if (!this.input.closest("form").contains(ev.target)) this.hide();
    });
  }

  move(delta, ev) {
    if (!this.items.length) return;
    ev.preventDefault();
    this.active = (this.active + delta + this.items.length) % this.items.length;
    this.draw();
  }

  async query(pickFirst = false) {
    const q = this.input.value.trim();
    const seq = ++this.seq;
    if (!q) return this.hide();
    let page;
    try {
      page = await api("/vessels/search", { params: { q } });
    } catch {
      return;
    }
    if (seq !== this.seq) return;
    this.items = page.items || [];
    this.active = this.items.length ? 0 : -1;
    this.draw();
    if (pickFirst && this.items[0]) this.pick(this.items[0]);
  }

  draw() {
    this.results.replaceChildren(
      ...(this.items.length
        ? this.items.map((v, i) =>
            h(
              "li",
              { role: "option", id: `sr-${v.mmsi}`, "aria-selected": String(i === this.active), onclick: () => this.pick(v) },
              h("span", {}, v.name || "(no name)"),
              h("span", { class: "muted mono" }, `${v.mmsi}${v.imo ? " · IMO " + v.imo : ""}${v.callsign ? " · " + v.callsign : ""}`),
            ),
          )
        : [h("li", { class: "muted", role: "option", "aria-disabled": "true" }, "No vessel matches")]),
    );
    this.results.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    if (this.active >= 0) this.input.setAttribute("aria-activedescendant", `sr-${this.items[this.active].mmsi}`);
  }

  hide() {
    this.results.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  pick(v) {
    this.hide();
    this.onPick(v);
  }
}

export async function loadZones() {
  return api("/zones");
}
