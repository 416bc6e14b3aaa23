// The deck.gl map: no base map library; the coastline is a layer like any other.
//
// Two Decks share one view: the static picture (land, zones, zone names) is drawn by a base Deck
// on its own canvas underneath, redrawn only when the view or that picture changes; everything
// else (vessels, tracks, tools) by the Deck on top, which takes the pointer. deck.gl redraws every
// layer of a Deck whenever any of them changes, and under software WebGL (SwiftShader, which runs
// every instance of an instanced draw as a draw of its own) the zones and coastline cost more
// than the vessels on each once-a-second diff; split, a diff redraws only the vessel canvas.
//
// Layers are rebuilt at most once per animation frame (render() only schedules), and a layer
// whose inputs did not change is handed back to deck.gl as the same instance, so deck.gl does no
// work for it. The vessel layer reads the store's typed arrays (binary attributes); the small
// layers that derive from it (suspect rings, dark labels) are keyed by versions the store bumps
// only when their membership changes.

import { ICON_NAMES, MAP_COLORS, SELECTED_COLOR, buildIconAtlas, severityColor, zoneColor } from "./style.js";
import { VERTICES_PER_MARK, expand, flatLayer } from "./flat.js";
import { eventNow, fmtDuration, parseTime } from "./format.js";
import { ASSET_COLOR, buildAssetAtlas } from "./assets.js";
import { TARGET_COLOR, targetLabel } from "./targets.js";
import { ofGroup, placeLabels, sameLabels } from "./labels.js";
import { MarksLayer, REPLAY_TRAIL_S, alertClusters, moveHeads, projectPairs, replayLayers, toWorld } from "./tracks.js";
import { ChartOverlay, SCROLL_SPEED, clampView, graticule, keyView } from "./chart.js";

const {
  Deck,
  JSONConverter,
  IconLayer,
  ScatterplotLayer,
  TextLayer,
  PathLayer,
  LineLayer,
  PolygonLayer,
  GeoJsonLayer,
  FlyToInterpolator,
  MapView,
} = window.deck;

const FlatIconLayer = flatLayer(IconLayer, 2);
const FlatScatterplotLayer = flatLayer(ScatterplotLayer, 3);

/** Large sovereign and SAR areas are drawn as outlines only: filling them would hide the sea
 * picture, and tessellating their tens of thousands of vertices would stall the page. */
const OUTLINE_ONLY = new Set(["territorial_sea", "contiguous_zone", "sar_region"]);
const BAND_KINDS = new Set(["territorial_sea", "contiguous_zone"]);

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");

/** A fixed character set for a TextLayer: ASCII plus what the labels use. deck.gl's "auto"
 * set re-checks the atlas on every update, which in software WebGL cost seconds per frame. */
export function charsetOf(items) {
  const set = new Set(ASCII);
  for (const it of items) for (const ch of it.text || "") set.add(ch);
  return [...set];
}

/** One character set for every label layer, so the font atlas is built once, not on each new
 * set of labels: ASCII, Latin-1 and the marks the labels use. */
const LABEL_CHARSET = [...ASCII, ...Array.from({ length: 96 }, (_, i) => String.fromCharCode(160 + i)), "·", "′", "–", "—", "…"];

/** Douglas-Peucker on one ring (tolerance in degrees); keeps the ends. */
export function simplifyRing(ring, tol) {
  if (ring.length <= 8) return ring;
  const keep = new Uint8Array(ring.length);
  keep[0] = 1;
  keep[ring.length - 1] = 1;
  const stack = [[0, ring.length - 1]];
  const tol2 = tol * tol;
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = ring[a];
    const [bx, by] = ring[b];
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    let worst = -1;
    let worstD = tol2;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = ring[i];
      let t = len2 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
      t = Math.max(0, Math.min(1, t));
      const ex = px - (ax + t * dx);
      const ey = py - (ay + t * dy);
      const d = ex * ex + ey * ey;
      if (d > worstD) {
        worstD = d;
        worst = i;
      }
    }
    if (worst > 0) {
      keep[worst] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  const out = ring.filter((_, i) => keep[i]);
  return out.length >= 4 ? out : ring;
}

/** A zone collection with every ring simplified for drawing (never for membership tests:
 * the engine decides entries on the exact geometry). */
export function simplifyZones(fc, tol = 0.003) {
  const simplifyPolys = (polys) => polys.map((poly) => poly.map((ring) => simplifyRing(ring, tol)));
  return {
    type: "FeatureCollection",
    features: (fc?.features || []).map((f) => {
      const g = f.geometry;
      if (!g) return f;
      const coordinates =
        g.type === "Polygon" ? simplifyPolys([g.coordinates])[0] : g.type === "MultiPolygon" ? simplifyPolys(g.coordinates) : g.coordinates;
      return { ...f, geometry: { type: g.type, coordinates } };
    }),
  };
}

export function ringCentroid(ring) {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, n = ring.length; i < n; i++) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[(i + 1) % n];
    const f = x0 * y1 - x1 * y0;
    a += f;
    cx += (x0 + x1) * f;
    cy += (y0 + y1) * f;
  }
  if (Math.abs(a) < 1e-12) return ring[0];
  return [cx / (3 * a), cy / (3 * a)];
}

function largestRing(geometry) {
  if (!geometry) return null;
  const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates || [];
  let best = null;
  let bestArea = -1;
  for (const p of polys) {
    const r = p[0];
    let a = 0;
    for (let i = 0; i < r.length - 1; i++) a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
    if (Math.abs(a) > bestArea) {
      bestArea = Math.abs(a);
      best = r;
    }
  }
  return best;
}

/** Zone names as a chart prints them: "Port of Sfax" is "Sfax", "Malta territorial sea (12 nm,
 * approximate)" is "Malta territorial sea"; the full name is in the tooltip. Never the id while
 * there is a name. */
export function zoneLabel(props) {
  const name = String(props?.name || props?.id || "").trim();
  return name.replace(/\s*\([^)]*\)\s*$/, "").replace(/^Port of\s+/i, "");
}

/** The one empty list (a memo key that must not change when nothing changed). */
const NONE = Object.freeze([]);
/** Radius in pixels of each labelled point's symbol (suspect ring, asset icon, dark target's
 * disc, a vessel's icon): no other label may cover it (labels.js). */
const SYMBOL_PX = { suspect: 15, asset: 10, target: 8, dark: 7 };

/** Port names from this zoom (about 25 nm across the screen's width): below it they are dots. */
const PORT_LABEL_ZOOM = 7.5;
/** Which zone names win when two would overlap: the small areas of interest before the wide belts. */
const ZONE_LABEL_ORDER = ["departure_hotspot", "arrival_area", "patrol_area", "custom", "territorial_sea", "contiguous_zone", "sar_region"];

/** The zoom from which a zone's name is shown: when its box spans some 160 px on screen. */
function zoneLabelZoom(geometry) {
  let w = Infinity;
  let e = -Infinity;
  let s = Infinity;
  let n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === "number") {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  if (geometry?.coordinates) walk(geometry.coordinates);
  const span = Math.max(e - w, (n - s) * 1.2, 1e-3);
  return Math.max(5, Math.log2((160 * 360) / (512 * span)));
}

export class MareMap {
  constructor(container, description, store, handlers) {
    this.store = store;
    this.handlers = handlers;
    this.cache = new Map();
    this.state = {
      mode: "live",
      land: null,
      zones: null,
      zoneLabels: [],
      zoneFills: null,
      showZones: true,
      showDark: true,
      track: null,
      reach: null,
      intercepts: null,
      assets: [],
      targets: [],
      replay: null,
      replayTime: 0,
      draw: null,
      retroTracks: [],
      minuteTick: 0,
      zoneHover: -1,
    };
    const converted = new JSONConverter({
      configuration: { classes: { GeoJsonLayer, TextLayer, MapView } },
    }).convert(description);
    this.templates = Object.fromEntries(converted.layers.map((l) => [l.id, l]));
    this.viewState = { ...converted.initialViewState, pitch: 0, bearing: 0 };
    const { atlas, mapping } = buildIconAtlas();
    this.iconAtlas = atlas;
    this.iconMapping = mapping;
    this.pending = 0;
    this.firstDrawn = null;
    this.baseLayerList = [];
    // Created first, so its canvas lies under the top one; it never takes pointer events.
    this.base = new Deck({
      parent: container,
      // Views of its own: a Deck writes its controller into its first view's props.
      views: converted.views.map((v) => new v.constructor({ ...v.props, controller: false })),
      viewState: this.viewState,
      controller: false,
      layers: [],
      useDevicePixels: 1,
      style: { left: "0", top: "0", pointerEvents: "none" },
    });
    this.deck = new Deck({
      parent: container,
      views: converted.views,
      initialViewState: this.viewState,
      // The keyboard is the map's own (keyView): deck.gl's listens on its canvas, which never
      // has the focus; the focusable element is the map's container.
      controller: { doubleClickZoom: false, keyboard: false, scrollZoom: { speed: SCROLL_SPEED, smooth: false } },
      layers: [],
      useDevicePixels: 1,
      // No multisampling on the vessel canvas: icons are smoothed by their atlas and circles by
      // deck.gl's shader; under SwiftShader 4x MSAA doubled the cost of each diff's redraw.
      deviceProps: { webgl: { antialias: false } },
      style: { left: "0", top: "0" },
      getCursor: ({ isDragging, isHovering }) =>
        this.state.mode === "draw"
          ? "crosshair"
          : isDragging
            ? "grabbing"
            : isHovering || this.state.zoneHover >= 0
              ? "pointer"
              : "grab",
      onViewStateChange: ({ viewState }) => {
        const vs = clampView(viewState, container.clientWidth, container.clientHeight);
        this.viewState = vs;
        this.base.setProps({ viewState: vs });
        this.afterView();
        return vs;
      },
      onHover: (info) => this.handlers.onHover?.(this.pickZone(info)),
      onClick: (info, event) => this.handlers.onClick?.(info, event),
      onAfterRender: () => {
        if (this.firstDrawn === null && this.store.length > 0 && this.drewVessels) {
          this.firstDrawn = performance.now();
          window.dispatchEvent(new CustomEvent("mare:first-vessels", { detail: this.firstDrawn }));
        }
        window.__mareFrames = (window.__mareFrames || 0) + 1;
      },
    });
    setInterval(() => {
      this.state.minuteTick++;
      this.render();
    }, 30_000);
    this.container = container;
    this.overlay = new ChartOverlay(container.parentElement || container);
    container.addEventListener("keydown", (ev) => {
      if (ev.target !== container || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const next = keyView(this.viewState, ev.key, ev.shiftKey, container.clientWidth, container.clientHeight);
      if (!next) return;
      ev.preventDefault();
      this.setView(next);
    });
    requestAnimationFrame(() => this.setView(this.viewState));
  }

  /** Redraw every layer in the colours of `theme` (style.js MAP_COLORS, already switched). */
  setTheme(theme) {
    if (this.state.theme === theme) return;
    this.state.theme = theme;
    this.store.restyle();
    this.cache.clear();
    this.baseLayerList = [];
    this.render();
  }

  /** Move the view (clamped to the basemap's box) on both Decks. */
  setView(vs) {
    this.viewState = clampView({ ...vs, pitch: 0, bearing: 0 }, this.container.clientWidth, this.container.clientHeight);
    this.deck.setProps({ initialViewState: this.viewState });
    this.base.setProps({ viewState: this.viewState });
    this.afterView();
  }

  /** After every view change: labels re-placed if the zoom changed, chart furniture redrawn. */
  afterView() {
    this.handlers.onView?.(this.viewState);
    this.render();
  }

  set(patch) {
    Object.assign(this.state, patch);
    this.render();
  }

  render() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      const base = this.baseLayers();
      if (this.overlayKey !== this.viewState) {
        this.overlayKey = this.viewState;
        this.overlay?.update(this.deck.getViewports()[0], this.cache.get("graticule-lines")?.layer);
      }
      const prev = this.baseLayerList;
      if (base.length !== prev.length || base.some((l, i) => l !== prev[i])) {
        this.baseLayerList = base;
        this.base.setProps({ layers: base });
      }
      this.deck.setProps({ layers: this.layers() });
    });
  }

  /** Hover over the top canvas: when it has nothing there, the zone under the pointer (the base
   * Deck takes no events of its own), highlighted by hand as autoHighlight would. */
  pickZone(info) {
    const s = this.state;
    let zone = null;
    if (!info.layer && info.x >= 0 && info.y >= 0 && s.zones && s.showZones && s.mode !== "draw") {
      zone = this.base.pickObject({ x: info.x, y: info.y, layerIds: ["zone-fills"] });
    }
    const index = zone ? zone.index : -1;
    if (index !== s.zoneHover) this.set({ zoneHover: index });
    return zone ? { ...info, layer: zone.layer, object: zone.object, index, picked: true } : info;
  }

  /** The same layer instance while `key` is unchanged; a new one (from make()) when it changes. */
  memo(id, key, make) {
    const hit = this.cache.get(id);
    if (hit && hit.key.length === key.length && hit.key.every((k, i) => k === key[i])) return hit.layer;
    const layer = make();
    this.cache.set(id, { key, layer });
    return layer;
  }

  flyTo(lon, lat, zoom) {
    const vs = this.viewState;
    this.deck.setProps({
      initialViewState: {
        longitude: lon,
        latitude: lat,
        zoom: Math.max(zoom ?? vs.zoom, vs.zoom),
        pitch: 0,
        bearing: 0,
        transitionDuration: "auto",
        transitionInterpolator: new FlyToInterpolator({ speed: 2 }),
      },
    });
  }

  panTo(lon, lat) {
    this.setView({ ...this.viewState, longitude: lon, latitude: lat });
  }

  bbox() {
    const vp = this.deck.getViewports()[0];
    if (!vp) return null;
    const [w, s] = vp.unproject([0, vp.height]);
    const [e, n] = vp.unproject([vp.width, 0]);
    return [w, s, e, n].map((v) => Math.round(v * 1e4) / 1e4);
  }

  unproject(x, y) {
    const vp = this.deck.getViewports()[0];
    return vp ? vp.unproject([x, y]) : null;
  }

  project(lon, lat) {
    const vp = this.deck.getViewports()[0];
    return vp ? vp.project([lon, lat]) : null;
  }

  setZones(exact) {
    const fc = simplifyZones(exact);
    const labels = [];
    const small = [];
    for (const f of fc?.features || []) {
      const kind = f.properties?.kind;
      if (!OUTLINE_ONLY.has(kind)) small.push(f);
      const ring = largestRing(f.geometry);
      if (!ring) continue;
      let at = ringCentroid(ring);
      if (BAND_KINDS.has(kind)) {
        // A band along a coast has its centroid inland: label it at its vertex nearest to that.
        let best = ring[0];
        let bestD = Infinity;
        for (const p of ring) {
          const d = (p[0] - at[0]) ** 2 + (p[1] - at[1]) ** 2;
          if (d < bestD) {
            bestD = d;
            best = p;
          }
        }
        at = best;
      }
      const port = kind === "port" || kind === "anchorage";
      labels.push({
        position: at,
        text: zoneLabel(f.properties),
        kind,
        group: port ? "port" : "zone",
        size: port ? 11 : 12,
        minZoom: port ? PORT_LABEL_ZOOM : zoneLabelZoom(f.geometry),
        rank: ZONE_LABEL_ORDER.indexOf(kind),
      });
    }
    labels.sort((a, b) => (a.group === b.group ? 0 : a.group === "port" ? -1 : 1) || a.rank - b.rank);
    this.set({ zones: fc, zoneFills: { type: "FeatureCollection", features: small }, zoneLabels: labels, zoneHover: -1 });
  }

  /** The view's bounding box grown `f` times its size about its centre, [w, s, e, n]. */
  viewBox(f = 1) {
    const b = this.bbox() || [10, 30, 20, 40];
    const cx = (b[0] + b[2]) / 2;
    const cy = (b[1] + b[3]) / 2;
    const hw = ((b[2] - b[0]) / 2) * f;
    const hh = ((b[3] - b[1]) / 2) * f;
    return [cx - hw, Math.max(-80, cy - hh), cx + hw, Math.min(80, cy + hh)];
  }

  /** Changes when the graticule must be rebuilt: a new spacing, or the view left the lines
   * drawn (they cover twice the view each way). */
  gridKey() {
    const b = this.bbox() || [0, 0, 1, 1];
    const w = b[2] - b[0];
    const h = b[3] - b[1];
    return `${Math.round(this.viewState.zoom * 4)}|${Math.round((b[0] + b[2]) / 2 / w)}|${Math.round((b[1] + b[3]) / 2 / h)}`;
  }

  /** Every label that wants a place on the map, in the placement's terms (labels.js). */
  labelCandidates() {
    const s = this.state;
    const st = this.store;
    const live = s.mode !== "replay";
    const suspects = live ? this.memo("suspect-list", [st.suspectVersion], () => this.suspectList()) : null;
    const dark = live && s.showDark ? this.memo("dark-list", [st.darkVersion], () => ({ list: st.slotsWith(1) })) : null;
    const assets = live && s.assets.length ? this.assetItems() : NONE;
    const targets = live && s.targets.length ? this.targetItems() : NONE;
    const key = [s.zoneLabels, s.showZones, suspects, dark, suspects || dark ? st.version : -1, assets, targets, s.intercepts, s.minuteTick];
    return this.memo("label-candidates", key, () => {
      const out = [];
      const at = (m) => {
        const i = st.slot.get(m);
        return i === undefined ? [NaN, NaN] : [st.positions[2 * i], st.positions[2 * i + 1]];
      };
      for (const m of suspects?.list || []) {
        const v = st.get(m);
        out.push({ group: "suspect", ref: m, text: v?.name || String(m), position: at(m), size: 11, offset: [0, -21], pad: [3, 1], symbol: SYMBOL_PX.suspect });
      }
      for (const a of assets) out.push({ group: "asset", ref: a, text: a.text, position: a.position, size: 11, offset: [0, 17], pad: [3, 1], symbol: SYMBOL_PX.asset });
      for (const t of targets) out.push({ group: "target", ref: t, text: t.text, position: t.position, size: 11, offset: [0, -16], pad: [3, 1], symbol: SYMBOL_PX.target });
      for (const p of s.intercepts?.points || []) {
        if (p.label) out.push({ group: "intercept", ref: p, text: p.label, position: p.position, size: 11, offset: [0, -16], pad: [4, 2] });
      }
      if (dark) {
        const now = eventNow();
        for (const m of dark.list) {
          const v = st.get(m);
          const since = parseTime(v?.dark_since || v?.last_seen);
          out.push({ group: "dark", ref: m, text: `dark ${fmtDuration(now - since)}`, position: at(m), size: 11, offset: [0, 17], pad: [3, 1], symbol: SYMBOL_PX.dark });
        }
      }
      if (s.showZones) for (const z of s.zoneLabels) out.push({ ...z, offset: [0, 0], pad: [0, 0] });
      return out;
    });
  }

  /** The labels placed at the present zoom, by layer: {zone, suspect, asset, target, ...}. */
  placedLabels() {
    const candidates = this.labelCandidates();
    return this.memo("placed-labels", [candidates, this.viewState.zoom], () => {
      const placed = placeLabels(candidates, this.viewState.zoom);
      const by = { zone: ofGroup(placed, "zone", "port") };
      for (const g of ["suspect", "asset", "target", "intercept", "dark"]) by[g] = ofGroup(placed, g);
      // A group placed as before keeps its array, so its layer is not rebuilt. Placement reruns
      // on every vessel diff while suspects or dark vessels are labelled; without this the zone
      // names were a new layer each time, and the base Deck redrew the whole basemap once a
      // second (about a second of software WebGL per diff with 10,000 vessels).
      const prev = this.placedGroups || {};
      for (const g of Object.keys(by)) if (sameLabels(prev[g], by[g])) by[g] = prev[g];
      this.placedGroups = by;
      return by;
    });
  }

  suspectList() {
    const st = this.store;
    const list = st.slotsWith(2);
    const slots = Int32Array.from(list, (m) => st.slot.get(m));
    return { list, slots, positions: new Float32Array(slots.length * 2 * VERTICES_PER_MARK) };
  }

  /** The base Deck's layers: the static picture under everything else. */
  baseLayers() {
    const s = this.state;
    const out = [];
    if (s.land) {
      // Coarser land zoomed out (the same picture at that scale, a tenth of the vertices), and
      // the coast and borders as plain GL lines: deck.gl's stroked polygons draw each segment
      // as an instance, which software WebGL pays per segment on every redraw (flat.js).
      const level = LAND_LEVELS.findIndex((l) => this.viewState.zoom < l.below);
      const lod = this.memo(`land-lod-${level}`, [s.land], () => landLevel(s.land, LAND_LEVELS[level].tol));
      out.push(
        this.memo("land", [lod, s.theme], () =>
          this.templates.land.clone({ data: lod.polygons, stroked: false, getFillColor: MAP_COLORS.land }),
        ),
        this.memo("coast", [lod, s.theme], () => lineLayer("coast", lod.coast, MAP_COLORS.coast)),
        this.memo("borders", [lod, s.theme], () => lineLayer("borders", lod.borders, MAP_COLORS.border)),
      );
    }
    const grid = this.memo("graticule-lines", [this.gridKey()], () => graticule(this.viewBox(2), this.viewState.zoom));
    out.push(
      this.memo("graticule", [grid], () =>
        new PathLayer({
          id: "graticule",
          data: grid.lines,
          getPath: (d) => d.path,
          getColor: MAP_COLORS.grid,
          widthUnits: "pixels",
          getWidth: 1,
        }),
      ),
    );
    if (s.zones && s.showZones) {
      out.push(
        this.memo("zone-fills", [s.zoneFills, s.zoneHover], () =>
          this.templates.zones.clone({
            id: "zone-fills",
            data: s.zoneFills,
            stroked: false,
            getFillColor: (f) => [...zoneColor(f.properties?.kind), 18],
            autoHighlight: false,
            highlightedObjectIndex: s.zoneHover,
          }),
        ),
        this.memo("zones", [s.zones], () =>
          this.templates.zones.clone({
            data: s.zones,
            filled: false,
            pickable: false,
            // subdued: a zone is context, the vessels are the picture
            getLineColor: (f) => [...zoneColor(f.properties?.kind), 110],
            getLineWidth: 1,
          }),
        ),
      );
    }
    const placed = this.placedLabels();
    out.push(
      this.memo("zone-names", [placed.zone], () =>
        this.templates["zone-names"].clone({
          data: placed.zone,
          getPosition: (d) => d.position,
          getText: (d) => d.text,
          getSize: (d) => d.size,
          getColor: (d) => (d.group === "port" ? MAP_COLORS.portText : MAP_COLORS.zoneText),
          characterSet: LABEL_CHARSET,
        }),
      ),
    );
    return out;
  }

  /** The top Deck's layers: vessels, tracks, reach and the tools. */
  layers() {
    const s = this.state;
    const out = [];
    if (s.reach) {
      out.push(
        this.memo("reach", [s.reach], () =>
          new GeoJsonLayer({
            id: "reach",
            data: s.reach,
            filled: true,
            stroked: true,
            lineWidthUnits: "pixels",
            getLineWidth: (f) => (f.properties.kind === "likely" ? 1 : 2),
            getFillColor: (f) => (f.properties.kind === "likely" ? [255, 209, 102, 50] : [138, 170, 220, 45]),
            getLineColor: (f) => (f.properties.kind === "likely" ? [255, 209, 102, 200] : [138, 170, 220, 230]),
            pointType: "circle",
            getPointRadius: 5,
            pointRadiusUnits: "pixels",
          }),
        ),
      );
    }
    if (s.retroTracks.length) {
      out.push(
        this.memo("retro-tracks", [s.retroTracks], () =>
          new PathLayer({
            id: "retro-tracks",
            data: s.retroTracks,
            getPath: (d) => d.path,
            getColor: [190, 120, 230, 220],
            widthUnits: "pixels",
            getWidth: 2,
            pickable: true,
          }),
        ),
      );
    }
    if (s.track) {
      out.push(
        this.memo("track", [s.track], () =>
          new PathLayer({
            id: "track",
            data: [s.track],
            getPath: (d) => d.path,
            getColor: [255, 255, 255, 170],
            widthUnits: "pixels",
            getWidth: 2,
            jointRounded: true,
          }),
        ),
      );
    }
    if (s.mode === "replay" && s.replay) {
      out.push(...this.replayLayers());
    } else {
      out.push(...this.liveLayers());
    }
    if (s.mode !== "replay" && s.targets.length) out.push(...this.targetLayers());
    if (s.mode !== "replay" && s.assets.length) out.push(...this.assetLayers());
    if (s.intercepts) out.push(...this.interceptLayers());
    if (s.draw) out.push(...this.drawLayers());
    return out;
  }

  liveLayers() {
    const s = this.state;
    const st = this.store;
    const out = [];
    // Rings mean one thing on this map: a suspect (risk >= SUSPECT_RISK), ringed where the
    // vessel is now. Open alerts are in the feed, grouped by vessel, not drawn as marks.
    // The ring list changes only when some vessel enters or leaves it (or slots move); between
    // those, a diff only rewrites the rings' positions, copied from the store by slot.
    // Rings and vessels are drawn without instancing (flat.js): one entry per vertex, six per mark.
    const suspects = this.memo("suspect-list", [st.suspectVersion], () => this.suspectList());
    out.push(
      this.memo("suspects", [suspects, st.version], () => {
        const { slots, positions } = suspects;
        let o = 0;
        for (let k = 0; k < slots.length; k++) {
          const x = st.positions[2 * slots[k]];
          const y = st.positions[2 * slots[k] + 1];
          for (let v = 0; v < VERTICES_PER_MARK; v++) {
            positions[o++] = x;
            positions[o++] = y;
          }
        }
        return new FlatScatterplotLayer({
          id: "suspects",
          data: {
            length: slots.length * VERTICES_PER_MARK,
            attributes: { getPosition: { value: positions.subarray(0), size: 2 } },
          },
          getRadius: 14,
          radiusUnits: "pixels",
          stroked: true,
          filled: false,
          lineWidthUnits: "pixels",
          getLineWidth: 2,
          getLineColor: MAP_COLORS.suspectRing,
          updateTriggers: { getPosition: st.version },
        });
      }),
    );
    out.push(
      this.memo("vessels", [st.version, st.styleVersion], () => {
        this.drewVessels = st.length > 0;
        return new FlatIconLayer({
          id: "vessels",
          data: this.vesselData(),
          iconAtlas: this.iconAtlas,
          iconMapping: this.iconMapping,
          getIcon: (_, { index }) => ICON_NAMES[st.icons[(index / VERTICES_PER_MARK) | 0]],
          sizeUnits: "pixels",
          sizeMinPixels: 6,
          billboard: false,
          pickable: true,
          updateTriggers: { getIcon: st.styleVersion, getPosition: st.version },
        });
      }),
    );
    const placed = this.placedLabels();
    out.push(
      this.memo("suspect-names", [placed.suspect], () =>
        labelLayer("suspect-names", placed.suspect, MAP_COLORS.suspectText, [0, -21]),
      ),
    );
    if (s.showDark) {
      out.push(this.memo("dark-labels", [placed.dark], () => labelLayer("dark-labels", placed.dark, MAP_COLORS.darkText, [0, 17])));
    }
    if (st.selected !== null) {
      out.push(
        this.memo("selected", [st.selected, st.version], () =>
          new ScatterplotLayer({
            id: "selected",
            data: [st.selected],
            getPosition: (m) => {
              const i = st.slot.get(m);
              return i === undefined ? [0, 0] : [st.positions[2 * i], st.positions[2 * i + 1]];
            },
            getRadius: 17,
            radiusUnits: "pixels",
            stroked: true,
            filled: false,
            lineWidthUnits: "pixels",
            getLineWidth: 2,
            getLineColor: [...SELECTED_COLOR, 255],
          }),
        ),
      );
    }
    return out;
  }

  /** The store's columns with every vessel's values repeated for the six vertices of its
   * mark. The same data object while the count holds (deck.gl then re-uploads the buffers
   * without re-running getIcon); a new one when it changes. */
  vesselData() {
    const st = this.store;
    const n = st.length;
    const x = this.flat || (this.flat = { data: { length: -1, attributes: {} } });
    x.positions = expand(st.positions, n, 2, x.positions);
    x.angles = expand(st.angles, n, 1, x.angles);
    x.sizes = expand(st.sizes, n, 1, x.sizes);
    x.colors = expand(st.colors, n, 4, x.colors);
    const m = n * VERTICES_PER_MARK;
    if (x.data.length !== m) x.data = { length: m, attributes: {} };
    x.data.attributes = {
      getPosition: { value: x.positions.subarray(0, m * 2), size: 2 },
      getAngle: { value: x.angles.subarray(0, m), size: 1 },
      getSize: { value: x.sizes.subarray(0, m), size: 1 },
      getColor: { value: x.colors.subarray(0, m * 4), size: 4, normalized: true },
    };
    return x.data;
  }

  replayLayers() {
    const s = this.state;
    const r = s.replay;
    const t = s.replayTime;
    // Alerts: one disc a vessel, clustered by screen cell; recounted each replay minute or zoom.
    const clusters = this.memo("replay-alert-list", [r, Math.floor(t / 60), Math.round(this.viewState.zoom * 4)], () =>
      alertClusters(r.alertMarks, t, this.viewState.zoom),
    );
    const [w, so, e, n] = this.viewBox(1.2);
    const box = [...toWorld(w, so), ...toWorld(e, n)];
    const marks = this.memo("replay-marks", [r, t, ...box], () => {
      moveHeads(r.columns, t, REPLAY_TRAIL_S, box);
      return replayLayers(r.columns, t, REPLAY_TRAIL_S);
    });
    return [
      ...marks,
      this.memo("replay-alerts", [clusters], () =>
        new ScatterplotLayer({
          // a shaded disc, not a ring: rings mean suspects (legend)
          id: "replay-alerts",
          data: clusters,
          getPosition: (a) => [a.lon, a.lat],
          getRadius: (a) => (a.count > 1 ? 12 + Math.min(10, 3 * Math.log2(a.count)) : 12),
          radiusUnits: "pixels",
          stroked: false,
          filled: true,
          getFillColor: (a) => [...severityColor(a.severity).slice(0, 3), 110],
          pickable: true,
        }),
      ),
      this.memo("replay-alert-counts", [clusters], () =>
        new TextLayer({
          id: "replay-alert-counts",
          data: clusters.filter((c) => c.count > 1),
          getPosition: (a) => [a.lon, a.lat],
          getText: (a) => a.text,
          getSize: 11,
          sizeUnits: "pixels",
          getColor: MAP_COLORS.text,
          fontFamily: "system-ui, sans-serif",
          characterSet: LABEL_CHARSET,
        }),
      ),
    ];
  }

  /** Dark targets (boats without AIS): magenta rings with a dot, labelled with their name, who
   * saw them and how long ago (relabelled every 30 s); apart from the AIS vessels' layer. */
  targetItems() {
    const s = this.state;
    return this.memo("target-items", [s.targets, s.minuteTick], () => {
      const now = eventNow();
      return s.targets.map((t) => ({ ...t, position: [t.lon, t.lat], text: targetLabel(t, now) }));
    });
  }

  targetLayers() {
    const items = this.targetItems();
    const placed = this.placedLabels();
    return [
      this.memo("targets", [items], () =>
        new ScatterplotLayer({
          id: "targets",
          data: items,
          getPosition: (t) => t.position,
          getRadius: 7,
          radiusUnits: "pixels",
          stroked: true,
          filled: true,
          getFillColor: [...TARGET_COLOR, 255],
          getLineColor: [255, 255, 255, 255],
          lineWidthUnits: "pixels",
          getLineWidth: 2,
          pickable: true,
        }),
      ),
      this.memo("target-labels", [placed.target], () => labelLayer("target-labels", placed.target, [...TARGET_COLOR, 255], [0, -16])),
    ];
  }

  /** Own assets: a handful of marks in layers of their own, so the vessel layer's per-diff cost
   * is untouched. Rebuilt on a diff only when some asset follows a vessel of the store. */
  assetLayers() {
    const items = this.assetItems();
    const placed = this.placedLabels();
    if (!this.assetAtlas) this.assetAtlas = buildAssetAtlas();
    return [
      this.memo("assets", [items], () =>
        new IconLayer({
          id: "assets",
          data: items,
          iconAtlas: this.assetAtlas.atlas,
          iconMapping: this.assetAtlas.mapping,
          getIcon: (a) => (a.kind === "aircraft" ? "aircraft" : "vessel"),
          getPosition: (a) => a.position,
          getSize: 20,
          sizeUnits: "pixels",
          billboard: false,
          pickable: true,
        }),
      ),
      this.memo("asset-names", [placed.asset], () => labelLayer("asset-names", placed.asset, [...ASSET_COLOR, 255], [0, 17])),
    ];
  }

  assetItems() {
    const s = this.state;
    const st = this.store;
    const tracked = s.assets.some((a) => a.mmsi && st.slot.has(a.mmsi));
    return this.memo("asset-items", [s.assets, tracked ? st.version : -1], () =>
      s.assets
        .map((a) => {
          const i = a.mmsi ? st.slot.get(a.mmsi) : undefined;
          const position = i === undefined ? [a.lon, a.lat] : [st.positions[2 * i], st.positions[2 * i + 1]];
          return { ...a, position, text: a.name };
        })
        .filter((a) => Number.isFinite(a.position[0]) && Number.isFinite(a.position[1])),
    );
  }

  interceptLayers() {
    const x = this.state.intercepts;
    return [
      this.memo("intercept-lines", [x], () =>
        new LineLayer({
          id: "intercept-lines",
          data: x.lines,
          getSourcePosition: (d) => d.from,
          getTargetPosition: (d) => d.to,
          getColor: (d) => d.color,
          getWidth: 2,
          widthUnits: "pixels",
        }),
      ),
      this.memo("intercept-points", [x], () =>
        new ScatterplotLayer({
          id: "intercept-points",
          data: x.points,
          getPosition: (d) => d.position,
          getRadius: (d) => d.radius,
          radiusUnits: "pixels",
          getFillColor: (d) => d.color,
          stroked: true,
          getLineColor: [11, 16, 22],
          lineWidthUnits: "pixels",
          getLineWidth: 1,
          pickable: true,
        }),
      ),
      this.memo("intercept-labels", [this.placedLabels().intercept], () =>
        labelLayer("intercept-labels", this.placedLabels().intercept, MAP_COLORS.text, [0, -16], [4, 2]),
      ),
    ];
  }

  drawLayers() {
    const d = this.state.draw;
    const pts = d.points;
    const out = [];
    if (pts.length >= 3) {
      out.push(
        new PolygonLayer({
          id: "draw-poly",
          data: [pts],
          getPolygon: (p) => p,
          getFillColor: [95, 196, 214, 40],
          getLineColor: [95, 196, 214, 230],
          lineWidthUnits: "pixels",
          getLineWidth: 2,
        }),
      );
    } else if (pts.length === 2) {
      out.push(
        new PathLayer({
          id: "draw-line",
          data: [pts],
          getPath: (p) => p,
          getColor: [95, 196, 214, 230],
          widthUnits: "pixels",
          getWidth: 2,
        }),
      );
    }
    out.push(
      new ScatterplotLayer({
        id: "draw-vertices",
        data: pts,
        getPosition: (p) => p,
        getRadius: 4,
        radiusUnits: "pixels",
        getFillColor: [255, 255, 255],
      }),
    );
    return out;
  }
}

/** A layer of placed labels (labels.js): text on a background, each where placement put it
 * (`offset` is the place a label takes when placement did not move it beside its symbol). */
function labelLayer(id, data, color, offset, padding = [3, 1]) {
  return new TextLayer({
    id,
    data,
    getPosition: (d) => d.position,
    getText: (d) => d.text,
    getSize: 11,
    sizeUnits: "pixels",
    getColor: color,
    getPixelOffset: (d) => d.offset || offset,
    fontFamily: "system-ui, sans-serif",
    characterSet: LABEL_CHARSET,
    background: true,
    getBackgroundColor: MAP_COLORS.labelBackground,
    backgroundPadding: padding,
  });
}

/** Land by zoom: below `below`, rings simplified to `tol` degrees. */
const LAND_LEVELS = [
  { below: 5.5, tol: 0.03 },
  { below: 7.5, tol: 0.008 },
  { below: Infinity, tol: 0 },
];

/** The basemap at one level of detail: land polygons, and coast and borders as line lists. */
function landLevel(fc, tol) {
  const polygons = [];
  const coast = [];
  const borders = [];
  const simplify = (ring) => (tol > 0 ? simplifyRing(ring, tol) : ring);
  const addLine = (out, line) => {
    for (let i = 1; i < line.length; i++) out.push(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1]);
  };
  for (const f of fc.features || []) {
    const g = f.geometry;
    if (!g) continue;
    if (f.properties?.kind === "border") {
      const lines = g.type === "LineString" ? [g.coordinates] : g.coordinates;
      for (const l of lines) addLine(borders, tol > 0 ? simplifyLine(l, tol) : l);
      continue;
    }
    const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    const kept = [];
    for (const poly of polys) {
      const rings = poly.map(simplify).filter((r) => r.length >= 4);
      if (!rings.length) continue;
      kept.push(rings);
      for (const r of rings) addLine(coast, r);
    }
    if (kept.length) polygons.push({ type: "Feature", properties: {}, geometry: { type: "MultiPolygon", coordinates: kept } });
  }
  return {
    polygons: { type: "FeatureCollection", features: polygons },
    coast: projectPairs(Float32Array.from(coast)),
    borders: projectPairs(Float32Array.from(borders)),
  };
}

/** Douglas-Peucker on an open line (simplifyRing keeps both ends too). */
function simplifyLine(line, tol) {
  return line.length <= 8 ? line : simplifyRing(line, tol);
}

/** Plain 1-pixel GL lines from a flat array of segment ends [x0, y0, x1, y1, ...]. */
function lineLayer(id, segments, color) {
  const n = segments.length / 2;
  const colors = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) colors.set(color.length === 4 ? color : [...color, 255], 4 * i);
  return new MarksLayer({
    id,
    topology: "line-list",
    data: {
      length: n,
      attributes: {
        getPosition: { value: segments, size: 2 },
        getTime: { value: new Float32Array(n), size: 1 },
        getColor: { value: colors, size: 4, normalized: true },
      },
    },
  });
}
