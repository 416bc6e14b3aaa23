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

import { ICON_NAMES, SELECTED_COLOR, buildIconAtlas, severityColor, zoneColor } from "./style.js";
import { VERTICES_PER_MARK, expand, flatLayer } from "./flat.js";
import { eventNow, fmtDuration, parseTime } from "./format.js";
import { ASSET_COLOR, buildAssetAtlas } from "./assets.js";
import { TARGET_COLOR, targetLabel } from "./targets.js";

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
  TripsLayer,
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
      controller: { doubleClickZoom: false, keyboard: true },
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
        this.viewState = viewState;
        this.base.setProps({ viewState });
        this.handlers.onView?.(viewState);
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
    this.viewState = { ...this.viewState, longitude: lon, latitude: lat };
    this.deck.setProps({ initialViewState: this.viewState });
    this.base.setProps({ viewState: this.viewState });
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
      labels.push({ position: at, text: f.properties?.name || f.properties?.id || "", kind });
    }
    this.set({ zones: fc, zoneFills: { type: "FeatureCollection", features: small }, zoneLabels: labels, zoneHover: -1 });
  }

  /** The base Deck's layers: the static picture under everything else. */
  baseLayers() {
    const s = this.state;
    const out = [];
    if (s.land) {
      out.push(this.memo("land", [s.land], () => this.templates.land.clone({ data: s.land })));
    }
    if (s.zones && s.showZones) {
      out.push(
        this.memo("zone-fills", [s.zoneFills, s.zoneHover], () =>
          this.templates.zones.clone({
            id: "zone-fills",
            data: s.zoneFills,
            stroked: false,
            getFillColor: (f) => [...zoneColor(f.properties?.kind), 34],
            autoHighlight: false,
            highlightedObjectIndex: s.zoneHover,
          }),
        ),
        this.memo("zones", [s.zones], () =>
          this.templates.zones.clone({
            data: s.zones,
            filled: false,
            pickable: false,
            getLineColor: (f) => [...zoneColor(f.properties?.kind), 190],
          }),
        ),
        this.memo("zone-names", [s.zoneLabels], () =>
          this.templates["zone-names"].clone({
            data: s.zoneLabels,
            getPosition: (d) => d.position,
            getText: (d) => d.text,
            characterSet: charsetOf(s.zoneLabels),
          }),
        ),
      );
    }
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
    const suspects = this.memo("suspect-list", [st.suspectVersion], () => {
      const list = st.slotsWith(2);
      const slots = Int32Array.from(list, (m) => st.slot.get(m));
      return { list, slots, positions: new Float32Array(slots.length * 2 * VERTICES_PER_MARK) };
    });
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
          getLineColor: [255, 209, 102, 230],
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
    if (s.showDark) {
      const dark = this.memo("dark-list", [st.darkVersion], () => ({ list: st.slotsWith(1) }));
      out.push(
        this.memo("dark-labels", [dark, st.version, s.minuteTick], () => {
          const now = eventNow();
          return new TextLayer({
            id: "dark-labels",
            data: dark.list,
            getPosition: (m) => {
              const i = st.slot.get(m);
              return i === undefined ? [0, 0] : [st.positions[2 * i], st.positions[2 * i + 1]];
            },
            getText: (m) => {
              const v = st.get(m);
              const since = parseTime(v?.dark_since || v?.last_seen);
              return `dark ${fmtDuration(now - since)}`;
            },
            getSize: 11,
            sizeUnits: "pixels",
            getColor: [170, 178, 190, 230],
            getPixelOffset: [0, 17],
            fontFamily: "system-ui, sans-serif",
            background: true,
            getBackgroundColor: [11, 16, 22, 170],
            backgroundPadding: [3, 1],
            updateTriggers: { getPosition: st.version, getText: [st.version, s.minuteTick] },
          });
        }),
      );
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
    return [
      new TripsLayer({
        id: "replay-trips",
        data: r.vessels,
        getPath: (d) => d.path,
        getTimestamps: (d) => d.timestamps,
        getColor: (d) => (d.risk >= 50 ? [240, 140, 60] : [95, 196, 214]),
        widthUnits: "pixels",
        getWidth: 2,
        widthMinPixels: 2,
        trailLength: 1800,
        fadeTrail: true,
        currentTime: t,
        capRounded: true,
        jointRounded: true,
        pickable: true,
      }),
      new ScatterplotLayer({
        id: "replay-heads",
        data: r.heads,
        getPosition: (d) => d.position,
        getRadius: 4,
        radiusUnits: "pixels",
        getFillColor: (d) => (d.risk >= 50 ? [240, 140, 60] : [95, 196, 214]),
        pickable: true,
        updateTriggers: { getPosition: t },
      }),
      new ScatterplotLayer({
        // a shaded disc, not a ring: rings mean suspects (legend)
        id: "replay-alerts",
        data: r.alertMarks.filter((a) => a.t <= t && t - a.t < 3600),
        getPosition: (a) => [a.lon, a.lat],
        getRadius: 12,
        radiusUnits: "pixels",
        stroked: false,
        filled: true,
        getFillColor: (a) => [...severityColor(a.severity).slice(0, 3), 90],
        pickable: true,
      }),
    ];
  }

  /** Dark targets (boats without AIS): magenta rings with a dot, labelled with their name, who
   * saw them and how long ago (relabelled every 30 s); apart from the AIS vessels' layer. */
  targetLayers() {
    const s = this.state;
    const items = this.memo("target-items", [s.targets, s.minuteTick], () => {
      const now = eventNow();
      return s.targets.map((t) => ({ ...t, position: [t.lon, t.lat], text: targetLabel(t, now) }));
    });
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
      this.memo("target-labels", [items], () =>
        new TextLayer({
          id: "target-labels",
          data: items,
          getPosition: (t) => t.position,
          getText: (t) => t.text,
          getSize: 11,
          sizeUnits: "pixels",
          getColor: [...TARGET_COLOR, 255],
          getPixelOffset: [0, -16],
          fontFamily: "system-ui, sans-serif",
          characterSet: charsetOf(items),
          background: true,
          getBackgroundColor: [11, 16, 22, 190],
          backgroundPadding: [3, 1],
        }),
      ),
    ];
  }

  /** Own assets: a handful of marks in layers of their own, so the vessel layer's per-diff cost
   * is untouched. Rebuilt on a diff only when some asset follows a vessel of the store. */
  assetLayers() {
    const s = this.state;
    const st = this.store;
    const tracked = s.assets.some((a) => a.mmsi && st.slot.has(a.mmsi));
    const items = this.memo("asset-items", [s.assets, tracked ? st.version : -1], () =>
      s.assets
        .map((a) => {
          const i = a.mmsi ? st.slot.get(a.mmsi) : undefined;
          const position = i === undefined ? [a.lon, a.lat] : [st.positions[2 * i], st.positions[2 * i + 1]];
          return { ...a, position, text: a.name };
        })
        .filter((a) => Number.isFinite(a.position[0]) && Number.isFinite(a.position[1])),
    );
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
      this.memo("asset-names", [items], () =>
        new TextLayer({
          id: "asset-names",
          data: items,
          getPosition: (a) => a.position,
          getText: (a) => a.text,
          getSize: 11,
          sizeUnits: "pixels",
          getColor: [...ASSET_COLOR, 255],
          getPixelOffset: [0, 17],
          fontFamily: "system-ui, sans-serif",
          characterSet: charsetOf(items),
          background: true,
          getBackgroundColor: [11, 16, 22, 190],
          backgroundPadding: [3, 1],
        }),
      ),
    ];
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
      this.memo("intercept-labels", [x], () =>
        new TextLayer({
          id: "intercept-labels",
          data: x.points.filter((p) => p.label),
          getPosition: (d) => d.position,
          getText: (d) => d.label,
          getSize: 11,
          sizeUnits: "pixels",
          getColor: [230, 236, 242],
          getPixelOffset: [0, -16],
          fontFamily: "system-ui, sans-serif",
          characterSet: charsetOf(x.points.map((p) => ({ text: p.label || "" }))),
          background: true,
          getBackgroundColor: [11, 16, 22, 210],
          backgroundPadding: [4, 2],
        }),
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
