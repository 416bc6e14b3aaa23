// Draw a polygon on the map, then save it as a zone (POST /api/v1/zones) or ask who was inside
// it between two times (POST /api/v1/geofence/retro); retro.js lists who, and draws their tracks.

import { api } from "./api.js";
import { openDialog } from "./dialog.js";
import { UTC_FIELD, eventNow, isoToLocalInput, localInputToIso, toast } from "./format.js";
import { ZONE_KINDS } from "./style.js";

/** Slug for a zone id from its name (the zone file's `id` is a unique slug). */
export function slugify(name) {
  const base = String(name)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return base || "zone";
}

export class Drawing {
  constructor({ map, user, bar, hint, onZoneSaved, onDone, onResults }) {
    this.map = map;
    this.user = user;
    this.bar = bar;
    this.hint = hint;
    this.onZoneSaved = onZoneSaved;
    this.onDone = onDone;
    this.onResults = onResults;
    this.points = [];
    this.active = false;
  }

  start() {
    this.active = true;
    this.points = [];
    this.bar.hidden = false;
    this.map.set({ mode: "draw", draw: { points: this.points } });
  }

  cancel() {
    this.active = false;
    this.points = [];
    this.bar.hidden = true;
    this.map.set({ draw: null });
    this.onDone?.();
  }

  undo() {
    this.points.pop();
    this.map.set({ draw: { points: [...this.points] } });
  }

  /** A click on the map while drawing, at pixel (x, y) of the map; a click on the first
   * corner closes the polygon, a second click on the last corner (a double-click) too. */
  clickAt(x, y) {
    if (!this.active) return;
    const coord = this.map.unproject(x, y);
    if (!coord) return;
    const near = (p) => {
      const q = this.map.project(...p);
      return q && Math.hypot(q[0] - x, q[1] - y) < 8;
    };
    if (this.points.length >= 3 && (near(this.points[0]) || near(this.points[this.points.length - 1]))) {
      this.finish();
      return;
    }
    if (this.points.length && near(this.points[this.points.length - 1])) return;
    this.points.push([Math.round(coord[0] * 1e5) / 1e5, Math.round(coord[1] * 1e5) / 1e5]);
    this.map.set({ draw: { points: [...this.points] } });
    this.hint.textContent =
      this.points.length < 3
        ? `${this.points.length} corner${this.points.length === 1 ? "" : "s"}: add at least 3.`
        : `${this.points.length} corners. Click the first corner, double-click, or press Enter to close.`;
  }

  polygon() {
    const ring = [...this.points, this.points[0]];
    return { type: "Polygon", coordinates: [ring] };
  }

  async finish() {
    if (this.points.length < 3) {
      toast("A polygon needs at least 3 corners");
      return;
    }
    const polygon = this.polygon();
    const canZone = ["admin", "officer", "analyst"].includes(this.user.role);
    const canRetro = ["admin", "officer", "analyst"].includes(this.user.role);
    const choice = await openDialog({
      title: "Use this area",
      fields: [
        {
          name: "use",
          label: "Use it to",
          type: "select",
          value: canZone ? "zone" : "retro",
          options: [
            canZone ? { value: "zone", label: "Save as a zone" } : null,
            canRetro ? { value: "retro", label: "Find who was inside (retroactive geofence)" } : null,
          ].filter(Boolean),
        },
      ],
      submitLabel: "Next",
    });
    if (!choice) return;
    if (choice.use === "zone") await this.saveZone(polygon);
    else await this.retro(polygon);
  }

  async saveZone(polygon) {
    const kinds = this.user.role === "analyst" ? ["custom"] : ZONE_KINDS;
    const v = await openDialog({
      title: "Save as a zone",
      fields: [
        { name: "name", label: "Name", required: true },
        { name: "kind", label: "Kind", type: "select", value: "custom", options: kinds.map((k) => ({ value: k, label: k.replaceAll("_", " ") })) },
        {
          name: "alerts",
          label: "Alert on",
          type: "checks",
          options: [
            { value: "entry", label: "entry", checked: true },
            { value: "exit", label: "exit", checked: true },
            { value: "dwell", label: "dwell" },
          ],
        },
        { name: "dwell_minutes", label: "Dwell minutes (for dwell alerts)", type: "number", value: "60", min: 1 },
        {
          name: "severity",
          label: "Severity",
          type: "select",
          value: "medium",
          options: ["info", "low", "medium", "high", "critical"].map((s) => ({ value: s, label: s })),
        },
      ],
      submitLabel: "Save zone",
    });
    if (!v) return;
    const properties = {
      id: `${slugify(v.name)}-${Date.now().toString(36).slice(-4)}`,
      name: v.name.trim(),
      kind: v.kind,
      alerts: v.alerts,
      severity: v.severity,
    };
    if (v.alerts.includes("dwell")) properties.dwell_minutes = Number(v.dwell_minutes) || 60;
    try {
      const saved = await api("/zones", { method: "POST", body: { type: "Feature", geometry: polygon, properties } });
      toast(`Zone “${properties.name}” saved`);
      this.cancel();
      this.onZoneSaved?.(saved);
    } catch (err) {
      toast(`Zone not saved: ${err.message}`);
    }
  }

  async retro(polygon) {
    const now = eventNow(); // the engine's clock: a replayed capture's window, not today
    const v = await openDialog({
      title: "Who was inside, and when",
      fields: [
        { name: "start", label: "From (UTC)", ...UTC_FIELD, value: isoToLocalInput(now - 24 * 3_600_000), required: true },
        { name: "end", label: "To (UTC)", ...UTC_FIELD, value: isoToLocalInput(now), required: true },
      ],
      submitLabel: "Search",
    });
    if (!v) return;
    const start = localInputToIso(v.start);
    const end = localInputToIso(v.end);
    let rows;
    try {
      rows = await api("/geofence/retro", { method: "POST", body: { polygon, start, end } });
    } catch (err) {
      toast(`Search failed: ${err.message}`);
      return;
    }
    const items = Array.isArray(rows) ? rows : rows.items || [];
    const tracks = [];
    await Promise.all(
      items.slice(0, 50).map(async (r) => {
        try {
          const t = await api(`/vessels/${r.mmsi}/track`, { params: { start, end, format: "points" } });
          tracks.push({ mmsi: r.mmsi, name: r.name, path: t.lon.map((lon, i) => [lon, t.lat[i]]) });
        } catch {
          /* a vessel the user may not see: listed without a track */
        }
      }),
    );
    this.map.set({ draw: { points: [...this.points] } });
    this.active = false;
    this.bar.hidden = true;
    this.onResults({ polygon, start, end }, items, tracks);
  }
}
