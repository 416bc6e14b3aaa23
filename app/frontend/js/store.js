// The live vessels, kept as columns in typed arrays that deck.gl reads directly.
//
// A diff touches only the vessels it names: each one is written in place at its slot (a Map
// from MMSI to slot), a removal moves the last slot into the hole. The map layer reads these
// columns (map.js vesselData() repeats them per vertex and deck.gl uploads them in one go), so a
// diff of 10,000 vessels costs one pass over the diff, never a rebuild of JavaScript objects.

import { ICON, MAP_COLORS, SUSPECT_RISK, iconAngle, riskColor, vesselSize } from "./style.js";

export class VesselStore {
  constructor(capacity = 16384) {
    this.length = 0;
    this.slot = new Map(); // mmsi -> slot
    this.objects = []; // slot -> Vessel JSON (the latest the server sent)
    this.visible = () => true; // filter predicate
    this.version = 0; // bumps on any change
    this.styleVersion = 0; // bumps when some icon changed or slots were added/moved (getIcon reruns)
    this.styleDirty = false; // an icon changed or a slot appeared/moved since the last touch
    this.darkVersion = 0; // bumps when the set of dark vessels changes
    this.suspectVersion = 0;
    this.selected = null;
    this.allocate(capacity);
  }

  allocate(capacity) {
    const grow = (Old, n) => {
      const a = new Old.constructor(n);
      a.set(Old.subarray(0, Math.min(Old.length, n)));
      return a;
    };
    if (!this.positions) {
      this.capacity = capacity;
      this.mmsi = new Uint32Array(capacity);
      this.positions = new Float32Array(capacity * 2);
      this.angles = new Float32Array(capacity);
      this.sizes = new Float32Array(capacity);
      this.colors = new Uint8ClampedArray(capacity * 4);
      this.icons = new Uint8Array(capacity);
      this.flags = new Uint8Array(capacity); // 1 dark, 2 suspect, 4 hidden
      return;
    }
    this.capacity = capacity;
    this.mmsi = grow(this.mmsi, capacity);
    this.positions = grow(this.positions, capacity * 2);
    this.angles = grow(this.angles, capacity);
    this.sizes = grow(this.sizes, capacity);
    this.colors = grow(this.colors, capacity * 4);
    this.icons = grow(this.icons, capacity);
    this.flags = grow(this.flags, capacity);
  }

  get(mmsi) {
    const i = this.slot.get(Number(mmsi));
    return i === undefined ? null : this.objects[i];
  }

  clear() {
    this.length = 0;
    this.slot.clear();
    this.objects.length = 0;
    this.touch(true);
  }

  touch(membership = false) {
    this.version++;
    if (membership || this.styleDirty) this.styleVersion++;
    this.styleDirty = false;
    if (membership) {
      this.darkVersion++;
      this.suspectVersion++;
    }
  }

  /** Write one vessel into its slot; returns the slot. */
  write(v) {
    const mmsi = Number(v.mmsi);
    let i = this.slot.get(mmsi);
    let prevFlags = 0;
    if (i === undefined) {
      if (this.length >= this.capacity) this.allocate(this.capacity * 2);
      i = this.length++;
      this.slot.set(mmsi, i);
      this.mmsi[i] = mmsi;
      this.styleDirty = true;
    } else {
      prevFlags = this.flags[i];
    }
    const prevIcon = this.icons[i];
    const old = this.objects[i];
    const merged = old && old.mmsi === mmsi ? Object.assign(old, v) : v;
    this.objects[i] = merged;
    this.paint(i, merged);
    if (this.icons[i] !== prevIcon) this.styleDirty = true;
    const flags = this.flags[i];
    const changed = prevFlags ^ flags;
    // Hidden (bit 4) toggling changes the lists the vessel belongs to.
    const lists = changed & 4 ? (prevFlags | flags) & 3 : changed & 3;
    if (lists & 1) this.darkVersion++;
    if (lists & 2) this.suspectVersion++;
    return i;
  }

  /** Recompute position, angle, icon, colour, size and flags of one slot. */
  paint(i, v) {
    const lon = Number(v.lon);
    const lat = Number(v.lat);
    const p = i * 2;
    this.positions[p] = lon;
    this.positions[p + 1] = lat;
    const dark = !!v.dark;
    const angle = iconAngle(v);
    const still = Number.isNaN(angle) || (v.speed !== null && v.speed !== undefined && v.speed < 0.5);
    let icon = still ? ICON.dot : ICON.arrow;
    if (dark) icon = still ? ICON.dotHollow : ICON.arrowHollow;
    this.icons[i] = icon;
    this.angles[i] = Number.isNaN(angle) ? 0 : angle;
    const suspect = (Number(v.risk) || 0) >= SUSPECT_RISK;
    const hidden = !Number.isFinite(lon) || !Number.isFinite(lat) || !this.visible(v);
    this.flags[i] = (dark ? 1 : 0) | (suspect ? 2 : 0) | (hidden ? 4 : 0);
    this.sizes[i] = hidden ? 0 : vesselSize(v);
    const c = dark ? MAP_COLORS.darkVessel : riskColor(v.risk);
    const q = i * 4;
    this.colors[q] = c[0];
    this.colors[q + 1] = c[1];
    this.colors[q + 2] = c[2];
    this.colors[q + 3] = dark ? 200 : 255;
  }

  remove(mmsi) {
    const key = Number(mmsi);
    const i = this.slot.get(key);
    if (i === undefined) return false;
    const last = this.length - 1;
    const flags = this.flags[i];
    if (i !== last) {
      const lastMmsi = this.mmsi[last];
      this.mmsi[i] = lastMmsi;
      this.positions[i * 2] = this.positions[last * 2];
      this.positions[i * 2 + 1] = this.positions[last * 2 + 1];
      this.angles[i] = this.angles[last];
      this.sizes[i] = this.sizes[last];
      this.colors.copyWithin(i * 4, last * 4, last * 4 + 4);
      this.icons[i] = this.icons[last];
      this.flags[i] = this.flags[last];
      this.objects[i] = this.objects[last];
      this.slot.set(lastMmsi, i);
    }
    this.objects.length = last;
    this.slot.delete(key);
    this.length = last;
    this.styleDirty = true;
    if (flags & 1) this.darkVersion++;
    if (flags & 2) this.suspectVersion++;
    // Slots moved: every layer that reads by slot must look again.
    this.darkVersion++;
    this.suspectVersion++;
    return true;
  }

  /** Replace everything (the WebSocket's snapshot). */
  reset(vessels) {
    this.clear();
    if (vessels.length > this.capacity) this.allocate(Math.max(vessels.length * 2, 1024));
    for (const v of vessels) this.write(v);
    this.touch(true);
  }

  /** Apply a diff: upserts written in place, removals swapped out. */
  applyDiff(upsert = [], remove = []) {
    for (const m of remove) this.remove(m);
    for (const v of upsert) this.write(v);
    if (upsert.length || remove.length) this.touch(false);
  }

  /** Re-run the filter and the colours over every vessel (a filter or the theme changed). */
  restyle() {
    for (let i = 0; i < this.length; i++) this.paint(i, this.objects[i]);
    this.touch(true);
  }

  /** Slots of vessels whose flag bit is set and that are not hidden. */
  slotsWith(bit) {
    const out = [];
    for (let i = 0; i < this.length; i++) {
      const f = this.flags[i];
      if (f & bit && !(f & 4)) out.push(this.mmsi[i]);
    }
    return out;
  }

  countWith(bit) {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.flags[i] & bit) n++;
    return n;
  }
}
