// Own assets (patrol vessels, aircraft): drawn on the map, added where the officer right-clicks
// (or presses "a" for the map's centre), moved or deleted from their own dialog, through
// /api/v1/assets. Admins and officers edit them; analysts see them; liaisons get neither (the
// API refuses them the list). An asset with an MMSI moves with its AIS: the map takes its
// position from the live store when the vessel is there, and the list is refreshed every 15 s.

import { api } from "./api.js";
import { openDialog } from "./dialog.js";
import { fmtLatLon, fmtNum, h, toast } from "./format.js";

export const ASSET_KINDS = [
  { value: "vessel", label: "Patrol vessel" },
  { value: "aircraft", label: "Aircraft" },
];
const READERS = new Set(["admin", "officer", "analyst"]);
const EDITORS = new Set(["admin", "officer"]);
/** The asset marks' colour: a green no vessel risk colour uses (legend: "own asset"). */
export const ASSET_COLOR = [70, 225, 120];
const CELL = 64;

/** A small atlas of its own (not the vessel atlas: its mapping stays as the vessel layer
 * expects): a diamond for a vessel, a plane for an aircraft, green with a dark rim. */
export function buildAssetAtlas() {
  const canvas = document.createElement("canvas");
  canvas.width = CELL * 2;
  canvas.height = CELL;
  const g = canvas.getContext("2d");
  g.fillStyle = `rgb(${ASSET_COLOR.join(",")})`;
  g.strokeStyle = "#0b1016";
  g.lineWidth = 5;
  g.lineJoin = "round";
  g.beginPath();
  g.moveTo(32, 5);
  g.lineTo(57, 32);
  g.lineTo(32, 59);
  g.lineTo(7, 32);
  g.closePath();
  g.stroke();
  g.fill();
  const x = CELL;
  g.beginPath();
  for (const [px, py] of [
    [32, 4], [37, 10], [37, 24], [60, 36], [60, 42], [37, 36], [37, 50], [45, 56], [45, 60],
    [32, 57], [19, 60], [19, 56], [27, 50], [27, 36], [4, 42], [4, 36], [27, 24], [27, 10],
  ]) {
    g.lineTo(x + px, py);
  }
  g.closePath();
  g.stroke();
  g.fill();
  const mapping = {
    vessel: { x: 0, y: 0, width: CELL, height: CELL, mask: false },
    aircraft: { x: CELL, y: 0, width: CELL, height: CELL, mask: false },
  };
  return { atlas: canvas, mapping };
}

export class Assets {
  constructor({ map, user }) {
    this.map = map;
    this.user = user;
    this.list = [];
    this.timer = 0;
  }

  get canRead() {
    return READERS.has(this.user.role);
  }

  get canEdit() {
    return EDITORS.has(this.user.role);
  }

  start() {
    if (!this.canRead) return;
    this.load();
    this.timer = setInterval(() => this.load(), 15_000);
  }

  async load() {
    try {
      const list = await api("/assets");
      this.list = Array.isArray(list) ? list : list.items || [];
      this.map.set({ assets: this.list });
    } catch (err) {
      toast(`Assets unavailable: ${err.message}`);
    }
  }

  /** Right-click on the map at (lon, lat): add an asset there, or move a fixed one there. */
  async contextAt(lon, lat) {
    if (!this.canEdit) return;
    const movable = this.list.filter((a) => !a.on_ais);
    let action = "add";
    if (movable.length) {
      const vals = await openDialog({
        title: `At ${fmtLatLon(lat, lon)}`,
        fields: [
          {
            name: "action",
            label: "Own asset",
            type: "select",
            value: "add",
            options: [
              { value: "add", label: "Add a new asset here" },
              ...movable.map((a) => ({ value: String(a.id), label: `Move ${a.name} here` })),
            ],
          },
        ],
        submitLabel: "Next",
      });
      if (!vals) return;
      action = vals.action;
    }
    if (action === "add") return this.add(lon, lat);
    const asset = movable.find((a) => String(a.id) === action);
    if (asset) await this.save(asset, { ...this.body(asset), lat: round(lat), lon: round(lon) }, "moved");
  }

  async add(lon, lat) {
    const vals = await openDialog({
      title: `New asset at ${fmtLatLon(lat, lon)}`,
      fields: [
        { name: "name", label: "Name", required: true },
        { name: "kind", label: "Kind", type: "select", value: "vessel", options: ASSET_KINDS },
        { name: "max_speed_kn", label: "Maximum speed (kn)", type: "number", value: "25", min: 1, max: 1000, required: true },
        { name: "mmsi", label: "MMSI (optional: follows its AIS)", type: "number", min: 1, max: 999999999 },
      ],
      submitLabel: "Add asset",
    });
    if (!vals) return;
    const body = {
      name: vals.name.trim(),
      kind: vals.kind,
      max_speed_kn: Number(vals.max_speed_kn),
      mmsi: vals.mmsi ? Number(vals.mmsi) : null,
      lat: round(lat),
      lon: round(lon),
    };
    try {
      await api("/assets", { method: "POST", body });
      toast(`${body.name} added`);
    } catch (err) {
      toast(`Could not add the asset: ${err.message}`);
    }
    await this.load();
  }

  /** A click on an asset's mark: its details; editors change, move (by position) or delete it. */
  async open(asset) {
    const where = `${fmtLatLon(asset.lat, asset.lon)}${asset.on_ais ? " (from its AIS)" : ""}`;
    const info = h(
      "p",
      { class: "muted" },
      `${kindLabel(asset.kind)}, up to ${fmtNum(asset.max_speed_kn, 0)} kn`,
      asset.mmsi ? `, MMSI ${asset.mmsi}` : "",
      `. At ${where}.`,
    );
    if (!this.canEdit) {
      await openDialog({ title: asset.name, body: info, submitLabel: "Close" });
      return;
    }
    const vals = await openDialog({
      title: asset.name,
      body: info,
      fields: [
        { name: "name", label: "Name", value: asset.name, required: true },
        { name: "kind", label: "Kind", type: "select", value: asset.kind, options: ASSET_KINDS },
        { name: "max_speed_kn", label: "Maximum speed (kn)", type: "number", value: String(asset.max_speed_kn), min: 1, max: 1000, required: true },
        { name: "lat", label: "Latitude", type: "text", value: String(asset.lat ?? "") },
        { name: "lon", label: "Longitude", type: "text", value: String(asset.lon ?? "") },
        {
          name: "action",
          label: "Then",
          type: "select",
          value: "save",
          options: [
            { value: "save", label: "Save the changes" },
            { value: "delete", label: "Delete this asset" },
          ],
        },
      ],
      submitLabel: "Apply",
    });
    if (!vals) return;
    if (vals.action === "delete") {
      try {
        await api(`/assets/${asset.id}`, { method: "DELETE" });
        toast(`${asset.name} deleted`);
      } catch (err) {
        toast(`Could not delete ${asset.name}: ${err.message}`);
      }
      await this.load();
      return;
    }
    const lat = vals.lat.trim() === "" ? null : Number(vals.lat);
    const lon = vals.lon.trim() === "" ? null : Number(vals.lon);
    await this.save(
      asset,
      { ...this.body(asset), name: vals.name.trim(), kind: vals.kind, max_speed_kn: Number(vals.max_speed_kn), lat, lon },
      "saved",
    );
  }

  body(a) {
    return { name: a.name, kind: a.kind, mmsi: a.mmsi ?? null, lat: a.lat ?? null, lon: a.lon ?? null, max_speed_kn: a.max_speed_kn };
  }

  async save(asset, body, what) {
    try {
      await api(`/assets/${asset.id}`, { method: "PUT", body });
      toast(`${body.name} ${what}`);
    } catch (err) {
      toast(`Could not change ${asset.name}: ${err.message}`);
    }
    await this.load();
  }
}

function kindLabel(kind) {
  return ASSET_KINDS.find((k) => k.value === kind)?.label || kind;
}

function round(x) {
  return Math.round(x * 1e5) / 1e5;
}
