// The vessel panel: everything about one vessel in one place, and the two questions a watch
// officer asks about a suspect: where could it be now (reach), and who gets there first
// (intercepts), both answered by the service from geo/ and drawn on the map.

import { ApiError, api, download } from "./api.js";
import { auditList } from "./alerts.js";
import { caseSection } from "./cases.js";
import { openDialog } from "./dialog.js";
import {
  eventNow,
  flagName,
  fmtAgo,
  fmtDuration,
  fmtHours,
  fmtLatLon,
  fmtNum,
  fmtUtc,
  h,
  kindText,
  parseTime,
  toast,
} from "./format.js";
import { SUSPECT_RISK, riskColor } from "./style.js";

const ASSET_COLORS = [
  [95, 191, 138],
  [154, 216, 255],
  [190, 120, 230],
  [230, 200, 80],
];

export class VesselPanel {
  constructor({ root, body, map, store, user, zoneName = (id) => id, onClose, onFollow }) {
    this.root = root;
    this.zoneName = zoneName;
    this.body = body;
    this.map = map;
    this.store = store;
    this.user = user;
    this.onClose = onClose;
    this.onFollow = onFollow;
    this.mmsi = null;
    this.following = false;
    this.seq = 0;
  }

  close() {
    this.mmsi = null;
    this.following = false;
    this.root.hidden = true;
    this.store.selected = null;
    this.map.set({ track: null, reach: null, intercepts: null });
    this.onClose?.();
  }

  async open(mmsi) {
    const seq = ++this.seq;
    this.mmsi = Number(mmsi);
    this.following = false;
    this.store.selected = this.mmsi;
    this.root.hidden = false;
    this.body.replaceChildren(h("p", { class: "muted" }, `Loading ${mmsi}…`));
    this.map.set({ track: null, reach: null, intercepts: null });
    let v;
    try {
      v = await api(`/vessels/${mmsi}`);
    } catch (err) {
      if (seq === this.seq) this.body.replaceChildren(h("p", { class: "error" }, `Vessel ${mmsi}: ${err.message}`));
      return;
    }
    if (seq !== this.seq) return;
    this.vessel = v;
    this.render(v);
    this.root.focus();
    this.loadTrack(v, seq);
    if (["admin", "officer"].includes(this.user.role)) this.loadAudit(v, seq);
    if (v.dark) this.loadReach(v, seq);
    if (v.dark || (v.risk?.score ?? v.risk ?? 0) >= SUSPECT_RISK) this.loadIntercepts(v, seq);
  }

  riskScore(v) {
    return typeof v.risk === "object" && v.risk !== null ? v.risk.score : v.risk;
  }

  render(v) {
    const score = this.riskScore(v) ?? 0;
    const contributions = (typeof v.risk === "object" && v.risk?.contributions) || [];
    const st = v.static || {};
    const col = riskColor(score);
    const dims = v.length ? `${fmtNum(v.length, 0)} × ${fmtNum(v.beam, 0)} m` : "–";
    const canWatch = ["admin", "officer"].includes(this.user.role);
    const sections = [
      h(
        "div",
        { class: "vessel-head" },
        h("h1", { id: "panel-title" }, v.name || `MMSI ${v.mmsi}`),
        h("div", { class: "sub" }, `${v.ship_type_text || "Unknown type"} · ${flagName(v.flag)} · class ${v.ais_class || "?"}`),
      ),
      v.dark
        ? h(
            "div",
            { class: "dark-note", id: "dark-note" },
            h("b", {}, "Dark: "),
            `no report for ${fmtDuration(eventNow() - parseTime(v.dark_since || v.last_seen))}`,
            ` (last fix ${fmtUtc(v.last_seen)}).`,
            h("div", { id: "reach-info", class: "muted" }, "Computing the reachable area…"),
          )
        : null,
      h("h3", {}, "Identity"),
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, "MMSI"),
        h("dd", { class: "mono" }, String(v.mmsi), v.mmsi_kind && v.mmsi_kind !== "ship" ? ` (${v.mmsi_kind})` : ""),
        h("dt", {}, "IMO"),
        h("dd", { class: "mono" }, v.imo ?? "–"),
        h("dt", {}, "Call sign"),
        h("dd", { class: "mono" }, v.callsign || "–"),
        h("dt", {}, "Flag"),
        h("dd", {}, flagName(v.flag)),
        h("dt", {}, "Size"),
        h("dd", {}, dims),
        h("dt", {}, "Destination"),
        h("dd", {}, st.destination || "–"),
        st.eta ? [h("dt", {}, "ETA"), h("dd", {}, fmtUtc(st.eta))] : null,
        st.draught ? [h("dt", {}, "Draught"), h("dd", {}, `${fmtNum(st.draught, 1)} m`)] : null,
      ),
      h("h3", {}, "Last report"),
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, "Position"),
        h("dd", {}, fmtLatLon(v.lat, v.lon)),
        h("dt", {}, "Speed / course"),
        h("dd", {}, `${fmtNum(v.speed, 1)} kn / ${fmtNum(v.course, 0)}°`),
        h("dt", {}, "Heading"),
        h("dd", {}, v.heading === null || v.heading === undefined ? "–" : `${v.heading}°`),
        h("dt", {}, "Seen"),
        h("dd", {}, `${fmtUtc(v.last_seen)} (${fmtAgo(v.last_seen)})`),
      ),
      h("h3", {}, `Risk ${score}/100`),
      h("div", { class: "riskbar", role: "img", "aria-label": `risk ${score} of 100` }, h("i", { style: `width:${Math.min(100, score)}%;background:rgb(${col.join(",")})` })),
      contributions.length
        ? h(
            "ul",
            { class: "contrib", id: "risk-contributions" },
            contributions.map((c) => h("li", {}, h("span", { class: "pts" }, `+${c.points}`), h("span", {}, c.text))),
          )
        : h("p", { class: "muted" }, "Nothing raises this vessel's risk."),
      caseSection(v, this.user),
      h("div", { id: "intercepts" }),
      h("h3", {}, "Track (last 24 h)"),
      h("p", { id: "track-info", class: "muted" }, "Loading…"),
      h("h3", {}, "Identity history"),
      v.identity_history?.length
        ? h(
            "table",
            { class: "small" },
            h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Field"), h("th", {}, "Was"), h("th", {}, "Now"))),
            h(
              "tbody",
              {},
              v.identity_history.map((r) =>
                h("tr", {}, h("td", {}, fmtUtc(r.time)), h("td", {}, r.field), h("td", {}, r.old ?? "–"), h("td", {}, r.new ?? "–")),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No change of name, call sign or IMO seen."),
      h("h3", {}, "Events"),
      v.recent_events?.length
        ? h(
            "table",
            { class: "small", id: "vessel-events" },
            h(
              "tbody",
              {},
              v.recent_events.map((e) =>
                h(
                  "tr",
                  { dataset: { alert: String(e.alert !== false) } },
                  h("td", {}, fmtUtc(e.start)),
                  h("td", {}, h("span", { class: `pill sev-${e.severity}` }, e.severity)),
                  h(
                    "td",
                    {},
                    kindText(e.kind),
                    e.zone ? ` · ${this.zoneName(e.zone)}` : "",
                    // recorded on the vessel (and in its risk) but not an alert anyone handles
                    e.alert === false ? h("span", { class: "muted", title: "Recorded, not alerted (alert rules)" }, " · event") : "",
                    e.details?.case_id ? h("span", { class: "case-ref" }, ` · case ${e.details.case_id}`) : "",
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No events."),
      canWatch ? h("section", {}, h("h3", {}, "Audit trail"), h("div", { id: "vessel-audit" }, h("p", { class: "muted" }, "Loading…"))) : null,
      h(
        "div",
        { class: "actions" },
        canWatch ? h("button", { type: "button", id: "act-watch", onclick: () => this.addToWatchlist(v) }, "Add to watchlist") : null,
        h(
          "button",
          { type: "button", id: "act-follow", "aria-pressed": "false", onclick: (ev) => this.toggleFollow(ev.currentTarget) },
          "Follow",
        ),
        h("button", { type: "button", onclick: () => this.map.flyTo(v.lon, v.lat, 9) }, "Centre"),
        h("button", { type: "button", class: "ghost", onclick: () => this.exportTrack(v) }, "Export track"),
      ),
    ];
    this.body.replaceChildren(...sections.filter(Boolean));
  }

  toggleFollow(btn) {
    this.following = !this.following;
    btn.setAttribute("aria-pressed", String(this.following));
    btn.textContent = this.following ? "Following" : "Follow";
    this.onFollow?.(this.following);
    if (this.following) {
      const cur = this.store.get(this.mmsi);
      if (cur) this.map.flyTo(cur.lon, cur.lat, 9);
    }
  }

  async loadTrack(v, seq) {
    const info = () => this.body.querySelector("#track-info");
    try {
      const t = await api(`/vessels/${v.mmsi}/track`, { params: { format: "points" } });
      if (seq !== this.seq) return;
      const path = t.lon.map((lon, i) => [lon, t.lat[i]]);
      this.map.set({ track: { mmsi: v.mmsi, path } });
      const el = info();
      if (el) {
        el.textContent = path.length
          ? `${path.length} positions since ${fmtUtc(t.times[0])}, drawn in white.`
          : "No position in the last 24 hours.";
      }
    } catch (err) {
      const el = info();
      if (el && seq === this.seq) el.textContent = `Track unavailable: ${err.message}`;
    }
  }

  /** Who did what about the vessel (itself, its alerts, its watchlist entries): for those who
   * handle alerts, as the API allows (GET /vessels/{mmsi}/audit). */
  async loadAudit(v, seq) {
    const box = () => this.body.querySelector("#vessel-audit");
    try {
      const trail = await api(`/vessels/${v.mmsi}/audit`);
      if (seq === this.seq) box()?.replaceChildren(auditList(trail, "vessel-audit-list"));
    } catch (err) {
      if (seq === this.seq) box()?.replaceChildren(h("p", { class: "muted" }, `Unavailable: ${err.message}`));
    }
  }

  async loadReach(v, seq) {
    const info = () => this.body.querySelector("#reach-info");
    try {
      const fc = await api(`/vessels/${v.mmsi}/reach`);
      if (seq !== this.seq) return;
      this.map.set({ reach: fc });
      const reach = fc.features.find((f) => f.properties.kind === "reachable");
      const likely = fc.features.find((f) => f.properties.kind === "likely");
      const el = info();
      if (el && reach) {
        const p = reach.properties;
        el.textContent =
          `Could be anywhere within ${fmtNum(p.radius_nm, 0)} nm of its last fix ` +
          `(up to ${fmtNum(p.max_speed_kn, 0)} kn for ${fmtHours(p.elapsed_h)}` +
          `${p.land_clipped ? ", land cut out" : ""}); ${fmtNum(p.area_nm2, 0)} nm² shaded blue` +
          (likely ? `, the likely sector on its last course in amber.` : ".");
      }
    } catch (err) {
      const el = info();
      if (el && seq === this.seq) {
        el.textContent = err instanceof ApiError && err.code === "not_dark" ? "Reporting again." : `Reach unavailable: ${err.message}`;
      }
    }
  }

  async loadIntercepts(v, seq) {
    const box = () => this.body.querySelector("#intercepts");
    let data;
    let assets = [];
    try {
      [data, assets] = await Promise.all([
        api(`/vessels/${v.mmsi}/intercepts`),
        api("/assets").then((a) => (Array.isArray(a) ? a : a.items || [])).catch(() => []),
      ]);
    } catch (err) {
      const el = box();
      if (el && seq === this.seq) el.replaceChildren(h("h3", {}, "Intercepts"), h("p", { class: "muted" }, `Unavailable: ${err.message}`));
      return;
    }
    if (seq !== this.seq) return;
    const byName = new Map(assets.map((a) => [a.name, a]));
    const target = data.target || v;
    // Where the suspect is taken to be now (its fix moved on along its course), else its fix.
    const here = target.position || target;
    const lines = [];
    const points = [];
    const rows = [];
    (data.intercepts || []).forEach((r, rank) => {
      const color = ASSET_COLORS[rank % ASSET_COLORS.length];
      const asset = r.position || byName.get(r.asset);
      const x = r.intercept;
      // Without an intercept but with area times, the area list below marks the asset.
      const marked = x || !(data.area_reach || []).length;
      if (asset && marked && Number.isFinite(asset.lon)) points.push({ position: [asset.lon, asset.lat], color: [...color, 255], radius: 6, label: r.asset, kind: "asset" });
      if (x) {
        points.push({ position: [x.lon, x.lat], color: [255, 255, 255, 255], radius: 5, label: rank === 0 ? `${r.asset} meets in ${fmtHours(x.time_h)}` : null, kind: "intercept" });
        if (asset) lines.push({ from: [asset.lon, asset.lat], to: [x.lon, x.lat], color: [...color, 220] });
        if (rank === 0 && Number.isFinite(here.lon)) lines.push({ from: [here.lon, here.lat], to: [x.lon, x.lat], color: [255, 209, 102, 200] });
      }
      rows.push(
        h(
          "li",
          {},
          h("b", {}, r.asset),
          ` (${r.kind}, ${fmtNum(r.max_speed_kn, 0)} kn): `,
          x
            ? `meets in ${fmtHours(x.time_h)} at ${fmtLatLon(x.lat, x.lon)}, steer ${fmtNum(x.heading_deg, 0)}°, ${fmtNum(x.distance_nm, 1)} nm`
            : h("span", { class: "muted" }, r.reason || "no intercept"),
        ),
      );
    });
    const area = (data.area_reach || []).map((a, rank) => {
      const asset = a.position || byName.get(a.asset);
      if (asset) {
        const color = ASSET_COLORS[rank % ASSET_COLORS.length];
        points.push({ position: [asset.lon, asset.lat], color: [...color, 255], radius: 6, label: `${a.asset}: ${fmtHours(a.nearest_h)}`, kind: "asset" });
        if (Number.isFinite(target.lon)) lines.push({ from: [asset.lon, asset.lat], to: [target.lon, target.lat], color: [...color, 160] });
      }
      return h(
        "li",
        {},
        h("b", {}, a.asset || a.name || "asset"),
        `: reaches the area in ${fmtHours(a.nearest_h)}; `,
        a.cover_h === null || a.cover_h === undefined ? h("span", { class: "muted" }, a.reason || "cannot cover it") : `covers all of it in ${fmtHours(a.cover_h)}`,
      );
    });
    const fixNote = Number.isFinite(target.fix_age_s)
      ? h(
          "p",
          { class: "muted", id: "intercept-fix" },
          `From its fix ${fmtDuration(target.fix_age_s * 1000)} old` +
            (target.projected_nm > 0 && !target.dark ? `, moved on ${fmtNum(target.projected_nm, 1)} nm along its course to ${fmtUtc(target.at)}` : "") +
            (target.reason && !target.dark ? `: ${target.reason}` : "."),
        )
      : null;
    const entries = (data.zone_entries || []).map((z) => {
      if (Number.isFinite(z.lon) && Number.isFinite(z.lat)) {
        points.push({ position: [z.lon, z.lat], color: [84, 140, 220, 255], radius: 4, label: `${z.name || z.zone} in ${fmtHours(z.hours)}` });
      }
      return h("li", {}, `${z.name || z.zone} (${(z.kind || "").replaceAll("_", " ")}): in ${fmtHours(z.hours)} on its present course`);
    });
    this.map.set({ intercepts: { lines, points } });
    const el = box();
    if (!el) return;
    el.replaceChildren(
      ...[
        h("h3", {}, "Who gets there first"),
        fixNote,
        rows.length ? h("ol", { class: "intercepts", id: "intercept-list" }, rows) : null,
        area.length ? h("p", { class: "muted" }, `Time to reach its reachable area (${target.dark ? "dark" : "no course to meet"}):`) : null,
        area.length ? h("ol", { class: "intercepts", id: "area-reach" }, area) : null,
        rows.length || area.length ? null : h("p", { class: "muted" }, "No own asset configured."),
        h("h3", {}, "Territorial sea / SAR entry"),
        entries.length
          ? h("ul", { class: "intercepts", id: "zone-entries" }, entries)
          : h("p", { class: "muted" }, data.zone_entries_reason ? `None given: ${data.zone_entries_reason}.` : "Enters none within 24 h on its present course."),
      ].filter(Boolean),
    );
  }

  async addToWatchlist(v) {
    const vals = await openDialog({
      title: `Watch ${v.name || v.mmsi}`,
      fields: [{ name: "note", label: "Why (note)", type: "textarea" }],
      submitLabel: "Add to watchlist",
    });
    if (!vals) return;
    try {
      await api("/watchlist", {
        method: "POST",
        body: { mmsi: v.mmsi, imo: v.imo ?? null, name: v.name ?? null, callsign: v.callsign ?? null, note: vals.note || "" },
      });
      toast(`${v.name || v.mmsi} added to the watchlist`);
    } catch (err) {
      toast(`Watchlist: ${err.message}`);
    }
  }

  async exportTrack(v) {
    const vals = await openDialog({
      title: `Export the track of ${v.name || v.mmsi}`,
      fields: [
        { name: "format", label: "Format", type: "select", value: "geojson", options: [{ value: "geojson", label: "GeoJSON" }, { value: "csv", label: "CSV" }] },
      ],
      submitLabel: "Download",
    });
    if (!vals) return;
    download(`/export/track/${v.mmsi}`, { format: vals.format }, `track-${v.mmsi}.${vals.format}`).catch((err) =>
      toast(`Export failed: ${err.message}`),
    );
  }

  /** Keep the open panel's map overlays in step with the live feed. */
  onVesselUpdate(v) {
    if (this.following && v) this.map.panTo(v.lon, v.lat);
  }
}
