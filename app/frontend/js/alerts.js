// The alert feed: grouped per vessel (the vessel with the newest alert first, its alerts newest
// first), live over the WebSocket, with the lifecycle actions the role allows (docs/api.md,
// Roles): officers and admins acknowledge, assign and resolve; liaisons acknowledge and comment
// on their zones' alerts; analysts comment. One alert is one situation (docs/alerts.md): the
// later events of a zone visit arrive as updates of it and are listed under it. Ages tick once a
// second on the engine's clock (`eventNow`); the open count in the top bar is the server's.

import { api, download } from "./api.js";
import { openDialog } from "./dialog.js";
import { alertSubject, fmtAgo, fmtClock, fmtUtc, h, kindText, toast } from "./format.js";

const CAN = {
  acknowledge: new Set(["admin", "officer", "liaison"]),
  assign: new Set(["admin", "officer"]),
  resolve: new Set(["admin", "officer"]),
  comment: new Set(["admin", "officer", "analyst", "liaison"]),
  // who did what to it (GET /alerts/{id}/audit): for those who handle alerts
  history: new Set(["admin", "officer"]),
};

/** Severities in rising order; the feed's filter and the API's `severity` are a minimum. */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"];

export function allowed(role, action) {
  return CAN[action]?.has(role) ?? false;
}

/** The episode an alert is a version of: what its stored and unstored versions share. */
function episode(a) {
  return `${a.kind}|${a.mmsi}|${a.other_mmsi ?? ""}|${a.zone ?? ""}|${a.start}`;
}

/** An alert's key in the list: its id, or its episode while the database has not stored it. */
function keyOf(a) {
  return a.id ?? `p:${episode(a)}`;
}

export class AlertFeed {
  constructor({ list, user, zoneName, onFocus, onChange }) {
    this.list = list;
    this.user = user;
    this.zoneName = zoneName;
    this.onFocus = onFocus;
    this.onChange = onChange || (() => {});
    this.alerts = new Map(); // id -> Alert
    this.filter = "open";
    this.minSeverity = "";
    this.max = 300;
  }

  /** The feed's filters as the API's alert filters (GET /alerts and its export take the same). */
  query() {
    const q = {};
    if (this.filter === "open") q.state = "new,acknowledged";
    if (this.minSeverity) q.severity = this.minSeverity;
    return q;
  }

  async load() {
    const params = { limit: 200, ...(this.minSeverity ? { severity: this.minSeverity } : {}) };
    const page = await api("/alerts", { params });
    this.alerts.clear();
    for (const a of page.items) this.alerts.set(a.id, a);
    this.draw();
  }

  setFilter(which) {
    this.filter = which;
    this.draw();
  }

  setMinSeverity(sev) {
    this.minSeverity = sev;
    this.load().catch((err) => toast(`Alerts unavailable: ${err.message}`));
  }

  sorted() {
    return [...this.alerts.values()].sort((a, b) => (b.start > a.start ? 1 : b.start < a.start ? -1 : b.id - a.id));
  }

  visible() {
    const floor = this.minSeverity ? SEVERITIES.indexOf(this.minSeverity) : 0;
    return this.sorted().filter(
      (a) => (this.filter !== "open" || a.state !== "resolved") && SEVERITIES.indexOf(a.severity) >= floor,
    );
  }

  /** Re-word every age in the list from the engine's clock (called once a second). */
  tick() {
    for (const t of this.list.querySelectorAll("time.when[datetime]")) {
      t.textContent = fmtAgo(t.getAttribute("datetime"));
    }
  }

  /** The visible alerts grouped by vessel: groups ordered by their newest alert. */
  groups(items) {
    const by = new Map();
    for (const a of items) {
      const g = by.get(a.mmsi);
      if (g) g.push(a);
      else by.set(a.mmsi, [a]);
    }
    return [...by.values()];
  }

  /**
   * A new or updated alert from the WebSocket; returns whether its episode is new to the list.
   * An alert the database has not stored yet comes without an id (`stored: false`) and is
   * replaced by its stored version, the same episode with an id, when that arrives.
   */
  push(alert) {
    const key = keyOf(alert);
    if (alert.alert === false) {
      // withdrawn by new alert rules: kept on the vessel as an event, gone from the list
      const had = this.alerts.delete(key);
      if (had) this.draw();
      return false;
    }
    const provisional = `p:${episode(alert)}`;
    const known = this.alerts.has(key) || this.alerts.has(provisional);
    if (alert.id != null) this.alerts.delete(provisional);
    this.alerts.set(key, { ...(this.alerts.get(key) || {}), ...alert });
    if (this.alerts.size > this.max) {
      const oldest = this.sorted().slice(this.max);
      for (const a of oldest) this.alerts.delete(keyOf(a));
    }
    this.draw(known ? null : key);
    return !known;
  }

  replace(alert) {
    this.alerts.set(alert.id, alert);
    this.draw();
  }

  draw(freshId = null) {
    const items = this.visible().slice(0, 200);
    const focused = document.activeElement?.closest?.(".alert")?.dataset.id;
    this.list.replaceChildren(...this.groups(items).map((g) => this.group(g, freshId)));
    if (focused) this.list.querySelector(`.alert[data-id="${focused}"] .what`)?.focus();
    this.onChange(this);
  }

  group(alerts, freshId) {
    const a = alerts[0];
    const vessel = alertSubject(a);
    const worst = alerts.reduce((w, x) => (SEVERITIES.indexOf(x.severity) > SEVERITIES.indexOf(w) ? x.severity : w), "info");
    return h(
      "li",
      { class: "vessel-group", dataset: { mmsi: String(a.mmsi) } },
      h(
        "div",
        { class: "group-head" },
        h("span", { class: `pill sev-${worst}` }, worst),
        h("button", { type: "button", class: "vessel", title: "Open the vessel", onclick: () => this.onFocus(a) }, vessel),
        h("span", { class: "count muted", title: "Alerts of this vessel in the list" }, `${alerts.length} alert${alerts.length === 1 ? "" : "s"}`),
      ),
      h("ol", { class: "group-alerts" }, alerts.map((x) => this.item(x, keyOf(x) === freshId))),
    );
  }

  item(a, fresh) {
    const role = this.user.role;
    const target = a.details?.target;
    const vessel = alertSubject(a) + (a.kind === "contact_association" && target ? ` with ${target}` : "");
    const source = a.details?.source?.via === "cise" ? a.details.source.authority : null;
    const zone = a.zone ? this.zoneName(a.zone) : null;
    const acts = [];
    const stored = a.stored !== false; // nothing to act on before the database has it
    if (stored && a.state === "new" && allowed(role, "acknowledge")) {
      acts.push(h("button", { type: "button", onclick: () => this.act(a, "acknowledge") }, "Acknowledge"));
    }
    if (stored && a.state !== "resolved" && allowed(role, "assign")) {
      acts.push(h("button", { type: "button", onclick: () => this.assign(a) }, a.assignee ? "Reassign" : "Assign"));
    }
    if (stored && a.state !== "resolved" && allowed(role, "resolve")) {
      acts.push(h("button", { type: "button", onclick: () => this.resolve(a) }, "Resolve"));
    }
    if (stored && allowed(role, "comment")) {
      acts.push(h("button", { type: "button", onclick: () => this.comment(a) }, "Comment"));
    }
    if (stored && allowed(role, "history")) {
      acts.push(h("button", { type: "button", class: "history", onclick: () => this.history(a) }, "History"));
    }
    const state = !stored
      ? "not stored yet"
      : a.state === "new"
        ? "new"
        : a.state === "acknowledged"
          ? `ack ${a.acknowledged_by || ""}`.trim()
          : `resolved ${a.resolved_by || ""}`.trim();
    return h(
      "li",
      { class: `alert${fresh ? " fresh" : ""}`, dataset: { id: keyOf(a), state: a.state } },
      h(
        "div",
        { class: "row" },
        h("span", { class: `pill sev-${a.severity}` }, a.severity),
        h(
          "button",
          {
            type: "button",
            class: "what",
            title: "Show on the map",
            onclick: () => this.onFocus(a),
          },
          kindText(a.kind),
        ),
        h("time", { class: "when", datetime: a.start, title: fmtUtc(a.start) }, fmtAgo(a.start)),
      ),
      h(
        "div",
        { class: "meta" },
        source ? h("span", { class: "source", title: `Shared over CISE by ${source}` }, `from ${source} · `) : "",
        vessel,
        zone ? ` · ${zone}` : "",
        ` · ${state}`,
        a.assignee ? ` · → ${a.assignee}` : "",
      ),
      a.related?.length
        ? h(
            "ul",
            { class: "related", "aria-label": "Later events of this situation" },
            a.related.map((r) => h("li", {}, `${fmtClock(r.start)} ${r.summary || kindText(r.kind)}`)),
          )
        : null,
      a.comments?.length
        ? h("ul", { class: "comments" }, a.comments.slice(-3).map((c) => h("li", {}, `${c.user}: ${c.text}`)))
        : null,
      acts.length ? h("div", { class: "acts" }, acts) : null,
    );
  }

  async act(a, action, body) {
    try {
      const updated = await api(`/alerts/${a.id}/${action}`, { method: "POST", body: body ?? {} });
      this.replace(updated);
      toast(`Alert ${a.id}: ${action === "comments" ? "comment added" : action + "d"}`);
    } catch (err) {
      toast(`Could not ${action} alert ${a.id}: ${err.message}`);
    }
  }

  /** Assign to one of the people who may see the alert (the server's list, names only). */
  async assign(a) {
    let names;
    try {
      names = await api(`/alerts/${a.id}/assignees`);
    } catch (err) {
      toast(`Could not list the people for alert ${a.id}: ${err.message}`);
      return;
    }
    const current = names.includes(a.assignee) ? a.assignee : names.includes(this.user.username) ? this.user.username : names[0];
    const v = await openDialog({
      title: `Assign alert ${a.id}`,
      fields: [
        {
          name: "assignee",
          label: "Assign to",
          type: "select",
          value: current,
          options: names.map((n) => ({ value: n, label: n === this.user.username ? `${n} (me)` : n })),
        },
      ],
      submitLabel: "Assign",
    });
    if (v && v.assignee) await this.act(a, "assign", { assignee: v.assignee });
  }

  /** Show who did what to the alert, and when (its audit trail). */
  async history(a) {
    let trail;
    try {
      trail = await api(`/alerts/${a.id}/audit`);
    } catch (err) {
      toast(`History of alert ${a.id}: ${err.message}`);
      return;
    }
    await openDialog({
      title: `History of alert ${a.id}`,
      body: auditList(trail, "alert-audit"),
      submitLabel: "Close",
    });
  }

  async resolve(a) {
    const v = await openDialog({
      title: `Resolve alert ${a.id}`,
      fields: [{ name: "note", label: "Note (optional)", type: "textarea" }],
      submitLabel: "Resolve",
    });
    if (v) await this.act(a, "resolve", v.note ? { note: v.note } : {});
  }

  async comment(a) {
    const v = await openDialog({
      title: `Comment on alert ${a.id}`,
      fields: [{ name: "text", label: "Comment", type: "textarea", required: true }],
      submitLabel: "Add comment",
    });
    if (v && v.text.trim()) await this.act(a, "comments", { text: v.text.trim() });
  }

  /** Download the alerts the feed's filters select (all of them, not only the 200 listed). */
  async exportAlerts() {
    const q = this.query();
    const which = [this.filter === "open" ? "open alerts" : "all alerts", q.severity ? `${q.severity} or worse` : null];
    const vals = await openDialog({
      title: "Export alerts",
      body: h("p", { class: "muted" }, `The feed's filter: ${which.filter(Boolean).join(", ")}.`),
      fields: [
        { name: "format", label: "Format", type: "select", value: "geojson", options: [{ value: "geojson", label: "GeoJSON" }, { value: "csv", label: "CSV" }] },
      ],
      submitLabel: "Download",
    });
    if (!vals) return null;
    return download("/export/alerts", { ...q, format: vals.format }, `mare-alerts.${vals.format}`).catch((err) =>
      toast(`Export failed: ${err.message}`),
    );
  }
}

/** An audit trail as a list: when, who, what (and about which alert, for a vessel's trail). */
export function auditList(trail, id) {
  if (!trail.length) return h("p", { class: "muted", id }, "Nobody has acted on it yet.");
  return h(
    "ol",
    { class: "audit", id },
    trail.map((e) =>
      h(
        "li",
        {},
        h("time", { datetime: e.time }, fmtUtc(e.time)),
        h("b", {}, e.user),
        ` ${String(e.action).replaceAll(".", " ")}`,
        e.target && !e.target.startsWith("vessel:") ? h("span", { class: "muted" }, ` · ${e.target.replace(":", " ")}`) : "",
        e.detail?.assignee ? ` → ${e.detail.assignee}` : "",
        e.detail?.text ? `: “${e.detail.text}”` : "",
      ),
    ),
  );
}
