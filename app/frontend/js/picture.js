// The map picture as a file: what the map shows, with its legend, the time (UTC, the engine's
// clock) and a north arrow drawn onto one canvas, saved as PNG; and the same picture in place of
// the live map when the page is printed (a WebGL canvas may print blank: its buffer is gone once
// shown). No library: the Decks' canvases are copied right after a forced redraw, while their
// drawing buffers still hold the frame.

import { eventNow, h } from "./format.js";

/** Layout of the additions, in CSS pixels (times devicePixelRatio on the canvas). */
export const MARGIN = 12;
const ARROW = { w: 34, h: 46 };

function utcText(ms) {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Every Deck of the map, redrawn now so that their canvases hold the current frame. */
function redrawNow(map) {
  for (const deck of [map.base, map.deck]) deck?.redraw?.("picture");
}

/** Return a canvas with the map, its legend, the time and a north arrow. */
export function composeMapPicture({ map, container, legend, now = eventNow() }) {
  const dpr = window.devicePixelRatio || 1;
  const rect = container.getBoundingClientRect();
  const out = document.createElement("canvas");
  out.width = Math.round(rect.width * dpr);
  out.height = Math.round(rect.height * dpr);
  const ctx = out.getContext("2d");
  ctx.fillStyle = getComputedStyle(container.parentElement || container).backgroundColor || "#0e1620";
  ctx.fillRect(0, 0, out.width, out.height);
  redrawNow(map);
  for (const c of container.querySelectorAll("canvas")) {
    const r = c.getBoundingClientRect();
    ctx.drawImage(c, (r.left - rect.left) * dpr, (r.top - rect.top) * dpr, r.width * dpr, r.height * dpr);
  }
  ctx.scale(dpr, dpr);
  drawTime(ctx, utcText(now));
  drawNorthArrow(ctx, rect.width - MARGIN - ARROW.w, MARGIN);
  if (legend) drawLegend(ctx, legend, rect.height);
  return out;
}

function box(ctx, x, y, w, hgt) {
  ctx.fillStyle = "#141c26"; // opaque: the same card on any theme's sea
  ctx.strokeStyle = "#263344";
  ctx.lineWidth = 1;
  ctx.fillRect(x, y, w, hgt);
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, hgt - 1);
}

function drawTime(ctx, text) {
  ctx.font = "600 14px system-ui, sans-serif";
  const w = Math.ceil(ctx.measureText(text).width) + 16;
  box(ctx, MARGIN, MARGIN, w, 26);
  ctx.fillStyle = "#ffffff";
  ctx.textBaseline = "middle";
  ctx.fillText(text, MARGIN + 8, MARGIN + 13);
}

/** A white arrow pointing up (the map is never rotated: bearing 0) with an N under it. */
function drawNorthArrow(ctx, x, y) {
  box(ctx, x, y, ARROW.w, ARROW.h);
  const cx = x + ARROW.w / 2;
  ctx.fillStyle = "#ffffff";
  ctx.beginPath();
  ctx.moveTo(cx, y + 5);
  ctx.lineTo(cx + 9, y + 27);
  ctx.lineTo(cx, y + 22);
  ctx.lineTo(cx - 9, y + 27);
  ctx.closePath();
  ctx.fill();
  ctx.font = "700 11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  ctx.fillText("N", cx, y + ARROW.h - 6);
  ctx.textAlign = "left";
}

/** The page's legend, entry by entry: its swatch colour (fill or ring) and its words. */
function drawLegend(ctx, legend, height) {
  const entries = [...legend.querySelectorAll(":scope > div")].map((d) => {
    const sw = d.querySelector(".sw");
    const st = sw ? getComputedStyle(sw) : null;
    const fill = st && st.backgroundColor !== "rgba(0, 0, 0, 0)" ? st.backgroundColor : null;
    return { text: d.textContent.trim(), fill, ring: fill ? null : st?.borderTopColor, diamond: sw?.classList.contains("asset") };
  });
  ctx.font = "12px system-ui, sans-serif";
  const w = Math.ceil(Math.max(...entries.map((e) => ctx.measureText(e.text).width))) + 40;
  const row = 18;
  const hgt = entries.length * row + 12;
  const x = MARGIN;
  const y = height - MARGIN - hgt;
  box(ctx, x, y, w, hgt);
  ctx.textBaseline = "middle";
  entries.forEach((e, i) => {
    const cx = x + 14;
    const cy = y + 6 + row * i + row / 2;
    ctx.beginPath();
    if (e.diamond) {
      ctx.moveTo(cx, cy - 6);
      ctx.lineTo(cx + 6, cy);
      ctx.lineTo(cx, cy + 6);
      ctx.lineTo(cx - 6, cy);
      ctx.closePath();
    } else ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
    if (e.fill) {
      ctx.fillStyle = e.fill;
      ctx.fill();
    } else {
      ctx.strokeStyle = e.ring || "#ffd166";
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    ctx.fillStyle = "#d7dee7";
    ctx.fillText(e.text, x + 28, cy);
  });
}

/** Save the picture as a PNG file named by its UTC time. */
export function saveMapPicture(opts) {
  const canvas = composeMapPicture(opts);
  const name = `mare-map-${utcText(opts.now ?? eventNow()).slice(0, 16).replace(" ", "T").replace(":", "")}Z.png`;
  return new Promise((resolve) =>
    canvas.toBlob((blob) => {
      const a = h("a", { href: URL.createObjectURL(blob), download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      resolve(blob);
    }, "image/png"),
  );
}

/** Print the picture, not the live canvases: an image of it shown only on paper. */
export function printPictureOnPrint(opts) {
  const img = h("img", { id: "print-map", alt: "Map picture" });
  opts.container.parentElement.append(img);
  const fill = () => {
    img.src = composeMapPicture({ ...opts, now: eventNow() }).toDataURL("image/png");
  };
  window.addEventListener("beforeprint", fill);
  window.matchMedia("print").addEventListener("change", (ev) => ev.matches && fill());
}
