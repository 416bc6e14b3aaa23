// Label placement: every label of the map competes for room once, most important first, and a
// label that would touch one already placed is dropped (greedy collision, as chart plotters and
// web maps place labels). deck.gl's CollisionFilterExtension is not in the bundle pydeck ships.
//
// Placement is done in world pixels at the view's zoom (Web Mercator: 512 px for the world at
// zoom 0), so it depends on the zoom only: a pan moves every label alike and keeps the result.
// Priority: suspects, dark targets and own assets first, then dark vessels, then ports, then
// zones (the order of PRIORITY); within a priority the caller's order stands (zones by size).

export const PRIORITY = { suspect: 0, asset: 0, target: 0, intercept: 0, dark: 1, port: 2, zone: 3 };

/** Room kept free around every label, in pixels (so two never touch, even anti-aliased). */
export const GAP = 3;

const measureCtx = document.createElement("canvas").getContext("2d");
const widths = new Map();

/** Width in pixels of `text` at `size` px in the labels' font (cached per text and size). */
export function textWidth(text, size) {
  const key = `${size}|${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    measureCtx.font = `${size}px system-ui, sans-serif`;
    w = measureCtx.measureText(text).width;
    if (widths.size > 20_000) widths.clear();
    widths.set(key, w);
  }
  return w;
}

/** Web Mercator world pixels of lon/lat at `zoom`. */
export function worldPixels(lon, lat, zoom) {
  const scale = 512 * 2 ** zoom;
  const phi = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return [((lon + 180) / 360) * scale, (0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI)) * scale];
}

/** The offsets a label of `c` may take, preferred first: its own, the mirror across its point,
 * then beside the point's symbol on the right and on the left (chart plotters' four places). */
function offsetsOf(c, halfBox) {
  const [dx, dy] = [c.offset?.[0] || 0, c.offset?.[1] || 0];
  if (!(c.symbol > 0)) return [[dx, dy]];
  const side = c.symbol + halfBox; // the box's edge on the symbol's
  return [[dx, dy], [dx, -dy], [side, 0], [-side, 0]];
}

/**
 * Place labels without overlap. Each candidate: {text, position: [lon, lat], group, size,
 * offset: [dx, dy] (pixels, from the position to the label's centre), pad: [px, py] (the
 * background's padding), symbol? (radius in pixels of the point's symbol), minZoom?}.
 * A label covers neither another label nor the symbol of another candidate's point: the
 * symbols are placed first, and a label whose own place is taken tries the mirrored place and
 * the two sides of its symbol before it is dropped. Returns the candidates kept, in priority
 * order, each with `box` ([x0, y0, x1, y1] in world pixels at `zoom`) and the `offset` used.
 */
export function placeLabels(candidates, zoom) {
  const order = candidates
    .map((c, i) => ({ c, i, p: PRIORITY[c.group] ?? 9 }))
    .filter(({ c }) => c.text && !(c.minZoom > zoom) && Number.isFinite(c.position[0]) && Number.isFinite(c.position[1]))
    .sort((a, b) => a.p - b.p || a.i - b.i);
  const CELL = 128;
  const grid = new Map();
  const cells = (box, visit) => {
    for (let gx = Math.floor(box[0] / CELL); gx <= Math.floor(box[2] / CELL); gx++) {
      for (let gy = Math.floor(box[1] / CELL); gy <= Math.floor(box[3] / CELL); gy++) {
        if (visit(`${gx},${gy}`) === false) return false;
      }
    }
    return true;
  };
  const add = (box, owner) =>
    cells(box, (k) => {
      const cell = grid.get(k);
      if (cell) cell.push({ box, owner });
      else grid.set(k, [{ box, owner }]);
    });
  // A label may cover its own point's symbol only (an offset of 0 is a zone name on its area).
  const free = (box, owner) =>
    cells(box, (k) => {
      for (const o of grid.get(k) || []) {
        const b = o.box;
        if (o.owner !== owner && b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3]) return false;
      }
      return true;
    });
  const at = new Map();
  for (const { c, i } of order) {
    const [x, y] = worldPixels(c.position[0], c.position[1], zoom);
    at.set(i, [x, y]);
    if (c.symbol > 0) add([x - c.symbol, y - c.symbol, x + c.symbol, y + c.symbol], i);
  }
  const kept = [];
  for (const { c, i } of order) {
    const [x, y] = at.get(i);
    const w = textWidth(c.text, c.size) / 2 + (c.pad?.[0] || 0) + GAP;
    const h = c.size * 0.65 + (c.pad?.[1] || 0) + GAP;
    for (const offset of offsetsOf(c, w)) {
      const cx = x + offset[0];
      const cy = y + offset[1];
      const box = [cx - w, cy - h, cx + w, cy + h];
      if (!free(box, i)) continue;
      add(box, `label ${i}`);
      kept.push({ ...c, offset, box });
      break;
    }
  }
  return kept;
}

/** Whether two placements of a group draw the same labels at the same places. */
export function sameLabels(a, b) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.text !== y.text || x.size !== y.size || x.group !== y.group) return false;
    if (x.position[0] !== y.position[0] || x.position[1] !== y.position[1]) return false;
    if ((x.offset?.[0] || 0) !== (y.offset?.[0] || 0) || (x.offset?.[1] || 0) !== (y.offset?.[1] || 0)) return false;
  }
  return true;
}

/** The kept labels of one group (the layers keep one group each). */
export function ofGroup(placed, ...groups) {
  return placed.filter((l) => groups.includes(l.group));
}
