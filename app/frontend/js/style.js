// Colours, sizes and the icon atlas: one place for the map's visual language.
//
// The icons are drawn here on a canvas (no image is fetched): a pointed hull for a vessel whose
// heading or course is known, a round mark for one whose direction is not, each solid (reporting)
// or hollow (dark). They are masks: deck.gl tints them with the vessel's risk colour.

/** Suspect threshold: a risk score from here on draws the highlight ring (half the scale). */
export const SUSPECT_RISK = 50;

/** Risk bands, highest first; their colours are the theme's (THEMES[theme].risk, same order). */
export const RISK_BANDS = [
  { min: 75, label: "75+" },
  { min: 50, label: "50–74" },
  { min: 25, label: "25–49" },
  { min: 0, label: "< 25" },
];
export const SELECTED_COLOR = [255, 255, 255];

/** The map's own colours per theme (the page's are CSS variables in mare.css, same names).
 * `sea` is the map's background (--sea in mare.css); the rest are deck.gl RGBA.
 * Vessel marks (`risk`, `darkVessel`, `suspectRing`) keep at least 3:1 contrast against the
 * theme's sea (WCAG's figure for graphics): the dark theme's light tints read as washed out
 * on the light sea (1.2-1.9:1), so the light theme has deeper tints of the same hues. The
 * legend's swatches are the same colours (mare.css --risk-*, --dark-vessel, --suspect-ring). */
export const THEMES = {
  dark: {
    sea: [14, 22, 32],
    land: [30, 39, 50],
    coast: [88, 104, 122],
    border: [66, 80, 96],
    grid: [140, 160, 180, 40],
    zoneText: [190, 200, 214, 210],
    portText: [160, 170, 186, 230],
    text: [230, 236, 242, 255],
    suspectText: [255, 209, 102, 255],
    darkText: [170, 178, 190, 230],
    labelBackground: [11, 16, 22, 180],
    risk: [
      [235, 70, 70],
      [240, 140, 60],
      [230, 200, 80],
      [95, 196, 214],
    ],
    darkVessel: [138, 147, 160],
    suspectRing: [255, 209, 102, 230],
  },
  light: {
    sea: [214, 228, 238],
    land: [241, 238, 228],
    coast: [140, 150, 160],
    border: [186, 176, 164],
    grid: [40, 70, 100, 45],
    zoneText: [40, 56, 78, 220],
    portText: [62, 72, 88, 235],
    text: [20, 30, 40, 255],
    suspectText: [150, 80, 0, 255],
    darkText: [70, 78, 90, 235],
    labelBackground: [255, 255, 255, 205],
    risk: [
      [198, 40, 40],
      [179, 90, 18],
      [138, 109, 0],
      [10, 116, 137],
    ],
    darkVessel: [96, 104, 116],
    suspectRing: [150, 80, 0, 235],
  },
};

/** The colours in force: THEMES[theme], switched in place by setMapTheme(). */
export const MAP_COLORS = { ...THEMES.dark };

export function setMapTheme(name) {
  Object.assign(MAP_COLORS, THEMES[name] || THEMES.dark);
}

/** The theme's colour of a risk score's band. */
export function riskColor(risk) {
  const r = Number(risk) || 0;
  let i = 0;
  while (i < RISK_BANDS.length - 1 && r < RISK_BANDS[i].min) i++;
  return MAP_COLORS.risk[i];
}

/** Zone kinds (DESIGN.md): sovereign lines in blues, SAR in green, hotspots in reds. */
export const ZONE_COLORS = {
  territorial_sea: [84, 140, 220],
  contiguous_zone: [90, 120, 180],
  sar_region: [80, 180, 120],
  departure_hotspot: [235, 80, 80],
  arrival_area: [240, 160, 60],
  port: [160, 160, 175],
  anchorage: [150, 150, 200],
  patrol_area: [190, 120, 230],
  custom: [95, 196, 214],
};
export const ZONE_KINDS = Object.keys(ZONE_COLORS);

export function zoneColor(kind) {
  return ZONE_COLORS[kind] || ZONE_COLORS.custom;
}

export const SEVERITY_COLORS = {
  critical: [255, 60, 60],
  high: [235, 70, 70],
  medium: [240, 140, 60],
  low: [230, 200, 80],
  info: [138, 147, 160],
};

export function severityColor(sev) {
  return SEVERITY_COLORS[sev] || SEVERITY_COLORS.info;
}

/** Ship-type families of the API's `ship_type` filter, with the ITU type codes they cover. */
export const TYPE_FAMILIES = [
  { id: "cargo", label: "Cargo", test: (t) => t >= 70 && t <= 79 },
  { id: "tanker", label: "Tanker", test: (t) => t >= 80 && t <= 89 },
  { id: "passenger", label: "Passenger", test: (t) => t >= 60 && t <= 69 },
  { id: "fishing", label: "Fishing", test: (t) => t === 30 },
  { id: "pleasure", label: "Pleasure", test: (t) => t === 36 || t === 37 },
  { id: "hsc", label: "High speed", test: (t) => t >= 40 && t <= 49 },
  { id: "sar", label: "SAR / law", test: (t) => t === 51 || t === 55 || t === 35 },
  {
    id: "other",
    label: "Other",
    test: (t) => !TYPE_FAMILIES.slice(0, 7).some((f) => f.test(t)),
  },
];

export function typeFamily(code) {
  const t = Number(code) || 0;
  for (const f of TYPE_FAMILIES) if (f.test(t)) return f.id;
  return "other";
}

/** Icon size in pixels: class A (SOLAS ships) larger than class B (small craft). */
export function vesselSize(v) {
  if (v.ais_class === "B") return 13;
  if (v.ais_class === "A") return v.length && v.length > 150 ? 22 : 19;
  return 14;
}

export const ICON = { arrow: 0, dot: 1, arrowHollow: 2, dotHollow: 3 };
export const ICON_NAMES = ["arrow", "dot", "arrowHollow", "dotHollow"];
const CELL = 64;

export function buildIconAtlas() {
  const canvas = document.createElement("canvas");
  canvas.width = CELL * ICON_NAMES.length;
  canvas.height = CELL;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.strokeStyle = "#fff";
  g.lineJoin = "round";
  const hull = (x0) => {
    g.beginPath();
    g.moveTo(x0 + 32, 4);
    g.lineTo(x0 + 50, 56);
    g.lineTo(x0 + 32, 46);
    g.lineTo(x0 + 14, 56);
    g.closePath();
  };
  hull(0);
  g.fill();
  g.beginPath();
  g.arc(CELL + 32, 32, 18, 0, Math.PI * 2);
  g.fill();
  g.lineWidth = 6;
  hull(2 * CELL);
  g.stroke();
  g.beginPath();
  g.arc(3 * CELL + 32, 32, 16, 0, Math.PI * 2);
  g.stroke();
  const mapping = {};
  ICON_NAMES.forEach((name, i) => {
    mapping[name] = { x: i * CELL, y: 0, width: CELL, height: CELL, mask: true, anchorY: 32 };
  });
  return { atlas: canvas, mapping };
}

/** Degrees clockwise from north (AIS) to deck.gl's counter-clockwise angle; NaN when unknown. */
export function iconAngle(v) {
  const hdg = v.heading;
  if (hdg !== null && hdg !== undefined && hdg >= 0 && hdg < 360) return -hdg;
  const cog = v.course;
  if (cog !== null && cog !== undefined && cog >= 0 && cog < 360) return -cog;
  return NaN;
}
