// Chart furniture: the view's limits, the graticule and the scale bar in nautical miles.
//
// The view is kept inside VIEW_BOX, which the basemap (Natural Earth land of the whole
// Mediterranean and its approaches, geo/data/coast/basemap_med.geojson) covers with a margin,
// so land never ends in a straight clip line on screen, at any zoom.

/** lon/lat limits of what the map may show: [west, south, east, north]. */
export const VIEW_BOX = [-15, 22, 48, 50];
export const MAX_ZOOM = 14;
/** One mouse-wheel notch (deltaY 100) zooms about a quarter level, not deck.gl's half level. */
export const SCROLL_SPEED = 0.004;
/** Keyboard steps: pixels a press of an arrow pans (Shift: three times), zoom levels of +/-. */
export const PAN_STEP = 120;
export const ZOOM_STEP = 0.5;

const NM = 1852;
const TILE = 512;

function mercY(lat) {
  const phi = (lat * Math.PI) / 180;
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
}

function latOfY(y) {
  return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
}

/** The view state moved (and zoomed in if need be) so the viewport lies inside VIEW_BOX. */
export function clampView(vs, width, height) {
  if (!width || !height) return vs;
  const [w, s, e, n] = VIEW_BOX;
  const spanX = (e - w) / 360;
  const spanY = mercY(s) - mercY(n);
  const minZoom = Math.log2(Math.max(width / (TILE * spanX), height / (TILE * spanY)));
  const zoom = Math.min(MAX_ZOOM, Math.max(minZoom, vs.zoom));
  const scale = TILE * 2 ** zoom;
  const halfX = width / 2 / scale;
  const halfY = height / 2 / scale;
  let x = (vs.longitude + 180) / 360;
  let y = mercY(vs.latitude);
  x = Math.min((e + 180) / 360 - halfX, Math.max((w + 180) / 360 + halfX, x));
  y = Math.min(mercY(s) - halfY, Math.max(mercY(n) + halfY, y));
  const longitude = x * 360 - 180;
  const latitude = latOfY(y);
  if (zoom === vs.zoom && Math.abs(longitude - vs.longitude) < 1e-9 && Math.abs(latitude - vs.latitude) < 1e-9) return vs;
  return { ...vs, zoom, longitude, latitude, minZoom, maxZoom: MAX_ZOOM };
}

/** The view state after a key press on the map, or null for a key the map does not take. */
export function keyView(vs, key, shift, width, height) {
  const step = PAN_STEP * (shift ? 3 : 1);
  const scale = TILE * 2 ** vs.zoom;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  let next = null;
  if (moves[key]) {
    const [dx, dy] = moves[key];
    const x = (vs.longitude + 180) / 360 + dx / scale;
    const y = mercY(vs.latitude) + dy / scale;
    next = { ...vs, longitude: x * 360 - 180, latitude: latOfY(y) };
  } else if (key === "+" || key === "=") {
    next = { ...vs, zoom: vs.zoom + ZOOM_STEP };
  } else if (key === "-" || key === "_") {
    next = { ...vs, zoom: vs.zoom - ZOOM_STEP };
  }
  return next && clampView(next, width, height);
}

/** Graticule spacing in degrees for a zoom: about four to eight lines across the screen. */
export function graticuleStep(zoom) {
  const steps = [10, 5, 2, 1, 0.5, 0.25, 1 / 6, 1 / 12, 1 / 30, 1 / 60];
  const target = 360 / (TILE * 2 ** zoom) * 180; // degrees in ~180 px
  return steps.find((s) => s <= target) ?? steps[steps.length - 1];
}

/** Graticule lines (meridians and parallels) covering bbox [w, s, e, n], with their labels. */
export function graticule(bbox, zoom) {
  const step = graticuleStep(zoom);
  const [w, s, e, n] = bbox;
  const lines = [];
  const x0 = Math.floor(w / step) * step;
  const y0 = Math.floor(s / step) * step;
  for (let x = x0; x <= e + step; x += step) {
    const path = [];
    for (let y = Math.max(-80, s - step); y <= Math.min(80, n + step); y += (n - s + 2 * step) / 16) path.push([x, y]);
    path.push([x, Math.min(80, n + step)]);
    lines.push({ path, text: degreeText(x, step, "E", "W"), kind: "meridian", value: x });
  }
  for (let y = y0; y <= n + step; y += step) {
    lines.push({ path: [[w - step, y], [e + step, y]], text: degreeText(y, step, "N", "S"), kind: "parallel", value: y });
  }
  return { step, lines };
}

export function degreeText(v, step, pos, neg) {
  const a = Math.abs(v);
  const d = Math.floor(a + 1e-9);
  const m = Math.round((a - d) * 60);
  const hemi = v >= 0 ? pos : neg;
  return step >= 1 || m === 0 ? `${d}°${hemi}` : `${d}°${String(m).padStart(2, "0")}′${hemi}`;
}

/** A scale bar for the latitude `lat` at `zoom`: a round length in nautical miles and its width
 * in pixels, the longest that fits in `maxPx`. */
export function scaleBar(lat, zoom, maxPx = 120) {
  const metresPerPixel = (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / (TILE * 2 ** zoom);
  const maxNm = (maxPx * metresPerPixel) / NM;
  const nice = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
  const nm = [...nice].reverse().find((v) => v <= maxNm) ?? nice[0];
  return { nm, px: (nm * NM) / metresPerPixel };
}

/** The scale bar and the graticule's degree labels, in the DOM over the map (crisp text that
 * never competes with the map's labels for room: it sits on the map's edges). */
export class ChartOverlay {
  constructor(parent) {
    this.root = document.createElement("div");
    this.root.className = "chart-overlay";
    this.root.setAttribute("aria-hidden", "true");
    this.scale = document.createElement("div");
    this.scale.className = "scalebar";
    this.scale.id = "scalebar";
    this.bar = document.createElement("i");
    this.text = document.createElement("span");
    this.scale.append(this.bar, this.text);
    this.ticks = document.createElement("div");
    this.ticks.className = "grid-ticks";
    this.root.append(this.ticks, this.scale);
    parent.append(this.root);
  }

  /** Redraw for a viewport (deck.gl's, for projection) and the graticule lines drawn. */
  update(viewport, grid) {
    if (!viewport) return;
    const [, lat] = viewport.unproject([viewport.width / 2, viewport.height / 2]);
    const { nm, px } = scaleBar(lat, viewport.zoom);
    this.bar.style.width = `${px.toFixed(1)}px`;
    this.text.textContent = `${nm} nm`;
    this.scale.dataset.nm = String(nm);
    this.scale.dataset.px = px.toFixed(2);
    const spans = [];
    for (const line of grid?.lines || []) {
      const span = document.createElement("span");
      span.textContent = line.text;
      if (line.kind === "meridian") {
        const [x] = viewport.project([line.value, lat]);
        if (x < 30 || x > viewport.width - 30) continue;
        span.className = "tick-x";
        span.style.left = `${x.toFixed(0)}px`;
      } else {
        const [, y] = viewport.project([viewport.unproject([0, 0])[0], line.value]);
        if (y < 14 || y > viewport.height - 14) continue;
        span.className = "tick-y";
        span.style.top = `${y.toFixed(0)}px`;
      }
      spans.push(span);
    }
    this.ticks.replaceChildren(...spans);
  }
}
