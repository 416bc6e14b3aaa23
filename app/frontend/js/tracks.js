// Replay at analyst scale: hundreds of thousands of positions drawn from typed arrays.
//
// deck.gl's TripsLayer draws every segment of every track as an instance, each frame; under
// software WebGL (SwiftShader: a browser without a GPU) each instance costs as a draw of its own
// (flat.js), and a 2 h whole-area replay of 219k positions ran at 0.33 fps. Here:
// - the tracks become columns once, at load (replayColumns): positions projected to world
//   units, times, one colour a vessel;
// - a frame draws, for each vessel in view, its head (where it is at t, a GL point) and its
//   tail (a GL line from where it was `trail` seconds before, fading out; see moveHeads), both
//   moved by cursors per vessel that only step forward while playing; the fade is in the shader.
// Leaving the replay drops every array (Replay.stop), so Live is as fast as before it.

import { riskColor } from "./style.js";

const { Layer, ScatterplotLayer, project32, picking } = window.deck;

/** Web Mercator world units (512 for the world at zoom 0, y north). Marks are projected once,
 * here, and the shader only scales and shifts them (the map is never pitched or rotated):
 * under SwiftShader deck.gl's projection code was most of a frame (137k line vertices took
 * 117-133 ms a frame through project32, 33 ms through the two-term transform). */
export function toWorld(lon, lat) {
  const phi = (Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180;
  return [(512 * (lon + 180)) / 360, (512 * (Math.PI + Math.log(Math.tan(Math.PI / 4 + phi / 2)))) / (2 * Math.PI)];
}

/** A flat array of lon/lat pairs in world units, in place. */
export function projectPairs(a) {
  for (let i = 0; i < a.length; i += 2) {
    const [x, y] = toWorld(a[i], a[i + 1]);
    a[i] = x;
    a[i + 1] = y;
  }
  return a;
}

const uniforms = {
  name: "replay",
  vs: `layout(std140) uniform replayUniforms {
  float currentTime;
  float trailLength;
  float pointSize;
  vec4 view;
} replay;
`,
  fs: "",
  uniformTypes: { currentTime: "f32", trailLength: "f32", pointSize: "f32", view: "vec4<f32>" },
};

const VS = `#version 300 es
#define SHADER_NAME replay-marks-vertex-shader
in vec2 markPositions;
in float markTimes;
in vec4 markColors;
in vec3 instancePickingColors;
out vec4 vColor;
void main(void) {
  geometry.worldPosition = vec3(markPositions, 0.0);
  geometry.pickingColor = instancePickingColors;
  // world units to clip space for a north-up, unpitched map: (p - centre) * 2 * 2^zoom / size
  gl_Position = vec4((markPositions - replay.view.xy) * replay.view.zw, 0.0, 1.0);
  gl_PointSize = replay.pointSize;
  float age = replay.currentTime - markTimes;
  float fade = replay.trailLength > 0.0 ? clamp(1.0 - age / replay.trailLength, 0.0, 1.0) : 1.0;
  vColor = vec4(markColors.rgb, markColors.a * fade * layer.opacity);
  DECKGL_FILTER_COLOR(vColor, geometry);
}
`;

const FS = `#version 300 es
#define SHADER_NAME replay-marks-fragment-shader
precision highp float;
in vec4 vColor;
out vec4 fragColor;
void main(void) {
  if (vColor.a <= 0.0) discard;
  fragColor = vColor;
  DECKGL_FILTER_COLOR(fragColor, geometry);
}
`;

let ModelClass = null;

/** Marks of a replay, one vertex each, drawn as `topology` ("line-list" or "point-list").
 * Data is binary: {length, attributes: {getPosition (2 floats), getTime, getColor (4 bytes)}}. */
export class MarksLayer extends Layer {
  getShaders() {
    return super.getShaders({ vs: VS, fs: FS, modules: [project32, picking, uniforms] });
  }

  initializeState() {
    this.getAttributeManager().add({
      markPositions: { size: 2, type: "float32", accessor: "getPosition" },
      markTimes: { size: 1, type: "float32", accessor: "getTime" },
      markColors: { size: 4, type: "unorm8", accessor: "getColor", defaultValue: [255, 255, 255, 255] },
    });
  }

  updateState(params) {
    super.updateState(params);
    if (!this.state.model) this.state.model = this.makeModel();
  }

  /** deck.gl's buffer layouts with every attribute (picking colours too) read per vertex. */
  vertexLayouts() {
    return this.getAttributeManager()
      .getBufferLayouts()
      .map((l) => ({ ...l, stepMode: "vertex" }));
  }

  makeModel() {
    if (!ModelClass) {
      // luma.gl's Model is not exported by the bundle: take its class from a probe model.
      const probe = ScatterplotLayer.prototype._getModel.call(this);
      ModelClass = probe.constructor;
      probe.destroy();
    }
    return new ModelClass(this.context.device, {
      ...this.getShaders(),
      id: this.props.id,
      bufferLayout: this.vertexLayouts(),
      topology: this.props.topology,
      vertexCount: 0,
      isInstanced: false,
    });
  }

  _setModelAttributes(model, changed, layoutChanged = false) {
    let attributes = changed;
    if (layoutChanged) {
      model.setBufferLayout(this.vertexLayouts());
      attributes = this.getAttributeManager().getAttributes();
    }
    super._setModelAttributes(model, attributes, false);
  }

  draw() {
    const { model } = this.state;
    const { currentTime, trailLength, pointSize } = this.props;
    const vp = this.context.viewport;
    const [cx, cy] = toWorld(vp.longitude, vp.latitude);
    const k = 2 * 2 ** vp.zoom;
    const view = [cx, cy, k / vp.width, k / vp.height];
    model.setVertexCount(this.getNumInstances());
    model.shaderInputs.setProps({ replay: { currentTime, trailLength, pointSize, view } });
    model.draw(this.context.renderPass);
  }
}
MarksLayer.layerName = "MarksLayer";
MarksLayer.defaultProps = {
  topology: "line-list",
  currentTime: 0,
  trailLength: 0,
  pointSize: 4,
};

/** Seconds of track behind each head (faded out along it). */
export const REPLAY_TRAIL_S = 1800;

/** The replay's tracks as columns (see the top of this file); `t0` in ms. */
export function replayColumns(vessels, t0) {
  const nV = vessels.length;
  let n = 0;
  for (const v of vessels) n += v.path.length;
  const start = new Int32Array(nV + 1);
  const pos = new Float32Array(2 * n);
  const time = new Float32Array(n);
  const colors = new Uint8Array(4 * nV);
  let o = 0;
  vessels.forEach((v, k) => {
    start[k] = o;
    const c = riskColor(v.risk);
    colors.set([c[0], c[1], c[2], 255], 4 * k);
    for (let i = 0; i < v.path.length; i++, o++) {
      const [x, y] = toWorld(v.path[i][0], v.path[i][1]);
      pos[2 * o] = x;
      pos[2 * o + 1] = y;
      time[o] = v.timestamps[i];
    }
  });
  start[nV] = o;
  return {
    t0,
    vessels: nV,
    positions: n,
    start,
    pos,
    time,
    colors,
    cursor: new Int32Array(nV),
    tailCursor: new Int32Array(nV),
    headPos: new Float32Array(2 * nV),
    headTime: new Float32Array(nV),
    headColor: new Uint8Array(4 * nV),
    headVessel: new Int32Array(nV),
    tailPos: new Float32Array(4 * nV),
    tailTime: new Float32Array(2 * nV),
    tailColor: new Uint8Array(8 * nV),
    heads: 0,
    lastT: -Infinity,
    key: null,
  };
}

/** First index of `a` (ascending) whose value is >= x. */
export function lowerBound(a, x) {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the last fix of vessel [a, b) at or before t, from `from` on (a cursor). */
function fixAt(c, a, b, from, t) {
  let i = from;
  while (i + 1 < b && c.time[i + 1] <= t) i++;
  return i;
}

/** Position of a vessel at t between its fix i and the next (linear), into out[o], out[o+1]. */
function interpolate(c, i, b, t, out, o) {
  let x = c.pos[2 * i];
  let y = c.pos[2 * i + 1];
  if (i + 1 < b && t > c.time[i]) {
    const f = Math.min(1, (t - c.time[i]) / (c.time[i + 1] - c.time[i] || 1));
    x += (c.pos[2 * i + 2] - x) * f;
    y += (c.pos[2 * i + 3] - y) * f;
  }
  out[o] = x;
  out[o + 1] = y;
}

/**
 * Move the heads to time t (seconds since t0) and draw each one's tail: a line from where the
 * vessel was `trail` seconds before (or its first fix) to where it is, fading out towards its
 * end. Only vessels inside `box` ([x0, y0, x1, y1] in world units) are drawn.
 *
 * Why a straight tail and not the track: a frame's cost under software WebGL is per vertex
 * (about a microsecond each on this machine's SwiftShader, whatever the primitive), and a 30 min
 * trail of every vessel of a 250k-position replay is ~70k segments (~130 ms a frame). One line a
 * vessel keeps the picture (where it came from, how fast) at 20k vertices for 10k vessels.
 * Cursors step forward from the last t; a step back restarts them.
 */
export function moveHeads(c, t, trail, box) {
  if (t < c.lastT) {
    c.cursor.fill(0);
    c.tailCursor.fill(0);
  }
  c.lastT = t;
  const [bx0, by0, bx1, by1] = box || [-Infinity, -Infinity, Infinity, Infinity];
  let h = 0;
  for (let k = 0; k < c.vessels; k++) {
    const a = c.start[k];
    const b = c.start[k + 1];
    if (b === a || c.time[a] > t) continue;
    const i = fixAt(c, a, b, a + c.cursor[k], t);
    c.cursor[k] = i - a;
    interpolate(c, i, b, t, c.headPos, 2 * h);
    const hx = c.headPos[2 * h];
    const hy = c.headPos[2 * h + 1];
    if (hx < bx0 || hx > bx1 || hy < by0 || hy > by1) continue;
    const from = Math.max(t - trail, c.time[a]);
    const j = fixAt(c, a, b, a + c.tailCursor[k], from);
    c.tailCursor[k] = j - a;
    interpolate(c, j, b, from, c.tailPos, 4 * h);
    c.tailPos[4 * h + 2] = hx;
    c.tailPos[4 * h + 3] = hy;
    c.tailTime[2 * h] = from;
    c.tailTime[2 * h + 1] = t;
    c.headTime[h] = t;
    for (let q = 0; q < 4; q++) {
      const v = c.colors[4 * k + q];
      c.headColor[4 * h + q] = v;
      c.tailColor[8 * h + q] = v;
      c.tailColor[8 * h + 4 + q] = v;
    }
    c.headVessel[h] = k;
    h++;
  }
  c.heads = h;
}

/** The layers of a replay at time t: each vessel's fading tail and its head. */
export function replayLayers(c, t, trail) {
  const n = c.heads;
  return [
    new MarksLayer({
      id: "replay-trips",
      topology: "line-list",
      data: {
        length: 2 * n,
        attributes: {
          getPosition: { value: c.tailPos.subarray(0, 4 * n), size: 2 },
          getTime: { value: c.tailTime.subarray(0, 2 * n), size: 1 },
          getColor: { value: c.tailColor.subarray(0, 8 * n), size: 4, normalized: true },
        },
      },
      currentTime: t,
      trailLength: trail,
    }),
    new MarksLayer({
      id: "replay-heads",
      topology: "point-list",
      data: {
        length: n,
        attributes: {
          getPosition: { value: c.headPos.subarray(0, 2 * n), size: 2 },
          getTime: { value: c.headTime.subarray(0, n), size: 1 },
          getColor: { value: c.headColor.subarray(0, 4 * n), size: 4, normalized: true },
        },
      },
      currentTime: t,
      trailLength: 0,
      pointSize: 4,
      pickable: true,
    }),
  ];
}

/** Alert marks at time t: one per vessel (its most severe alert of the last hour), then
 * clustered on a grid of `cell` screen pixels at `zoom`, so a zoomed-out picture shows a few
 * counted discs instead of hundreds of overlapping ones. */
export function alertClusters(marks, t, zoom, cell = 44) {
  const rank = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  const perVessel = new Map();
  for (const a of marks) {
    if (a.t > t || t - a.t >= 3600) continue;
    const key = a.mmsi ?? `${a.lon},${a.lat}`;
    const had = perVessel.get(key);
    if (!had || (rank[a.severity] ?? 0) > (rank[had.severity] ?? 0) || ((rank[a.severity] ?? 0) === (rank[had.severity] ?? 0) && a.t > had.t)) perVessel.set(key, a);
  }
  const scale = (512 * 2 ** zoom) / cell;
  const cells = new Map();
  for (const a of perVessel.values()) {
    const x = Math.floor(((a.lon + 180) / 360) * scale);
    const phi = (a.lat * Math.PI) / 180;
    const y = Math.floor((0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI)) * scale);
    const k = `${x},${y}`;
    const c = cells.get(k);
    if (!c) cells.set(k, { lon: a.lon, lat: a.lat, count: 1, severity: a.severity, alert: a, sumLon: a.lon, sumLat: a.lat });
    else {
      c.count++;
      c.sumLon += a.lon;
      c.sumLat += a.lat;
      c.lon = c.sumLon / c.count;
      c.lat = c.sumLat / c.count;
      if ((rank[a.severity] ?? 0) > (rank[c.severity] ?? 0)) c.severity = a.severity;
    }
  }
  return [...cells.values()].map((c) => ({ ...c, mmsi: c.count === 1 ? c.alert.mmsi : null, text: c.count > 1 ? String(c.count) : "" }));
}
