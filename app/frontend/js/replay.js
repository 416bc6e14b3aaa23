// Analyst replay: a window and an area from /api/v1/replay, tracks played on a time slider
// (columns drawn as GL lines and points, tracks.js), alerts marked on the timeline and shown on
// the map at their time. The window defaults to the engine's clock (/stats event_time), not the
// browser's: a service replaying an older capture has nothing at the browser's "now".

import { api } from "./api.js";
import { openDialog } from "./dialog.js";
import { eventNow, fmtUtc, h, isoToLocalInput, kindText, localInputToIso, parseTime, toast } from "./format.js";
import { replayColumns } from "./tracks.js";
import { severityColor } from "./style.js";

export class Replay {
  constructor({ map, els }) {
    this.map = map;
    this.els = els;
    this.data = null;
    this.playing = false;
    this.raf = 0;
    this.last = 0;
  }

  /** The last six hours of the engine's clock, until the user picks a window of their own. */
  defaultWindow() {
    const e = this.els;
    if (this.picked) return;
    const now = eventNow();
    const end = now - (now % 60_000) + 60_000;
    e.end.value = isoToLocalInput(end);
    e.start.value = isoToLocalInput(end - 6 * 3_600_000);
  }

  mount() {
    const e = this.els;
    this.defaultWindow();
    for (const input of [e.start, e.end]) input.addEventListener("input", () => (this.picked = true));
    e.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.load();
    });
    e.play.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    e.time.addEventListener("input", () => this.seek(Number(e.time.value)));
    e.exportLink.addEventListener("click", (ev) => {
      ev.preventDefault();
      this.exportTracks();
    });
    document.addEventListener("keydown", (ev) => {
      if (this.els.bar.hidden || !this.data) return;
      if (ev.key === " " && !ev.target.closest("input, select, textarea, button")) {
        ev.preventDefault();
        this.playing ? this.pause() : this.play();
      }
    });
  }

  async load() {
    const e = this.els;
    const start = localInputToIso(e.start.value);
    const end = localInputToIso(e.end.value);
    if (!start || !end || parseTime(end) <= parseTime(start)) {
      e.status.textContent = "The end must be after the start.";
      return;
    }
    const params = { start, end };
    if (e.inView.checked) {
      const bbox = this.map.bbox();
      if (bbox) params.bbox = bbox.join(",");
    }
    e.status.textContent = "Loading…";
    this.pause();
    let r;
    try {
      r = await api("/replay", { params });
    } catch (err) {
      e.status.textContent = err.message;
      return;
    }
    const t0 = parseTime(r.start);
    const duration = (parseTime(r.end) - t0) / 1000;
    const alertMarks = (r.alerts || [])
      .filter((a) => Number.isFinite(a.lon) && Number.isFinite(a.lat))
      .map((a) => ({ ...a, t: (parseTime(a.start) - t0) / 1000 }));
    this.data = null;
    const columns = replayColumns(r.vessels, t0);
    this.data = { vessels: r.vessels, t0, duration, alertMarks, columns };
    e.time.max = String(Math.max(1, Math.round(duration)));
    e.time.disabled = false;
    e.play.disabled = false;
    e.exportLink.hidden = !r.vessels.length;
    e.marks.replaceChildren(
      ...alertMarks.map((a) =>
        h("i", {
          title: `${kindText(a.kind)} ${fmtUtc(a.start)}`,
          style: `left:${(100 * a.t) / Math.max(1, duration)}%;background:rgb(${severityColor(a.severity).join(",")})`,
        }),
      ),
    );
    e.status.textContent = `${r.vessels.length} vessels, ${columns.positions} positions, ${alertMarks.length} alerts`;
    this.seek(0);
  }

  seek(t) {
    if (!this.data) return;
    const d = this.data;
    const time = Math.max(0, Math.min(d.duration, t));
    this.time = time;
    this.els.time.value = String(Math.round(time));
    this.els.clock.textContent = fmtUtc(d.t0 + time * 1000);
    this.map.set({ replay: d, replayTime: time });
  }

  play() {
    if (!this.data) return;
    if (this.time >= this.data.duration) this.seek(0);
    this.playing = true;
    this.els.play.textContent = "❚❚";
    this.els.play.setAttribute("aria-label", "Pause");
    this.last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      const dt = (now - this.last) / 1000;
      this.last = now;
      this.seek(this.time + dt * Number(this.els.speed.value));
      if (this.time >= this.data.duration) this.pause();
      else this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.els.play.textContent = "▶";
    this.els.play.setAttribute("aria-label", "Play");
  }

  /** Leave the replay: its arrays are dropped (the page keeps nothing of it). */
  stop() {
    this.pause();
    this.data = null;
    this.map.set({ replay: null });
  }

  /** The replayed vessel whose head is the `index`th drawn (for picking). */
  vesselOfHead(index) {
    const c = this.data?.columns;
    return c && index >= 0 && index < c.heads ? this.data.vessels[c.headVessel[index]] : null;
  }

  async exportTracks() {
    if (!this.data) return;
    const vals = await openDialog({
      title: "Export the replayed tracks",
      fields: [
        { name: "format", label: "Format", type: "select", value: "geojson", options: [{ value: "geojson", label: "GeoJSON" }, { value: "csv", label: "CSV" }] },
      ],
      submitLabel: "Download",
    });
    if (!vals) return;
    const d = this.data;
    let text;
    let type;
    if (vals.format === "csv") {
      const rows = ["mmsi,name,time,lon,lat"];
      for (const v of d.vessels) {
        const name = `"${String(v.name || "").replaceAll('"', '""')}"`;
        v.path.forEach((p, i) => rows.push(`${v.mmsi},${name},${new Date(d.t0 + v.timestamps[i] * 1000).toISOString()},${p[0]},${p[1]}`));
      }
      text = rows.join("\n") + "\n";
      type = "text/csv";
    } else {
      text = JSON.stringify({
        type: "FeatureCollection",
        features: d.vessels.map((v) => ({
          type: "Feature",
          geometry: { type: "LineString", coordinates: v.path },
          properties: { mmsi: v.mmsi, name: v.name, times: v.timestamps.map((s) => new Date(d.t0 + s * 1000).toISOString()) },
        })),
      });
      type = "application/geo+json";
    }
    const a = h("a", { href: URL.createObjectURL(new Blob([text], { type })), download: `mare-replay.${vals.format}` });
    document.body.append(a);
    a.click();
    a.remove();
    toast(`Exported ${d.vessels.length} tracks`);
  }
}
