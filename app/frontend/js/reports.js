// Daily situation reports (GET /api/v1/reports): the ones the service made after each UTC
// midnight and on demand, listed newest day first, each downloadable as PDF or HTML, and a
// form to make one now (POST; audited). A liaison sees and makes only its own zones' reports.

import { api, download } from "./api.js";
import { openDialog } from "./dialog.js";
import { h, toast } from "./format.js";

function yesterday() {
  const d = new Date(Date.now() - 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** Zone ids as people read them: the zone's name where the list knows it. */
let zoneNames = new Map();

function named(ids) {
  return ids.map((z) => zoneNames.get(z) || z).join(", ");
}

function scopeText(r) {
  const zones = r.zones ? named(r.zones) : "whole area";
  return r.narrow.length ? `${zones} (narrowed: ${named(r.narrow)})` : zones;
}

/** The zones a report may cover (a liaison's own only, as GET /zones gives them), by kind then name. */
async function zoneOptions() {
  const fc = await api("/zones").catch(() => ({ features: [] }));
  const zones = fc.features.map((f) => f.properties).sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  zoneNames = new Map(zones.map((z) => [z.id, z.name]));
  return zones.map((z) => ({ value: z.id, label: z.name }));
}

function kb(n) {
  return `${Math.max(1, Math.round(n / 1024))} kB`;
}

function row(r) {
  const get = (fmt) =>
    h(
      "button",
      {
        type: "button",
        class: "ghost small",
        dataset: { report: r.id, format: fmt },
        onclick: () => download(`/reports/${r.id}`, { format: fmt }, `sitrep-${r.day}.${fmt}`).catch((e) => toast(`Download failed: ${e.message}`)),
      },
      `${fmt.toUpperCase()} ${kb(r.files[fmt].size)}`,
    );
  return h(
    "tr",
    { dataset: { report: r.id } },
    h("td", {}, h("b", {}, r.day)),
    h("td", {}, scopeText(r)),
    h("td", { class: "muted" }, `${r.created_by}, ${r.created_at.replace("T", " ").replace("Z", " UTC")}`),
    h("td", {}, get("pdf"), " ", get("html")),
  );
}

export async function showReports() {
  let page;
  let zones;
  try {
    [page, zones] = await Promise.all([api("/reports", { params: { limit: 60 } }), zoneOptions()]);
  } catch (err) {
    toast(`Reports unavailable: ${err.message}`);
    return;
  }
  const body = h(
    "div",
    { class: "reports" },
    h("p", { class: "muted" }, "Made for each UTC day just after midnight, for the whole area and each liaison's zones. Make one now for a day below."),
    page.items.length
      ? h(
          "table",
          { class: "reports-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Day"), h("th", {}, "Scope"), h("th", {}, "Made by"), h("th", {}, "Files"))),
          h("tbody", {}, page.items.map(row)),
        )
      : h("p", { id: "reports-none" }, "No report yet."),
  );
  const asked = await openDialog({
    title: "Daily situation reports",
    body,
    fields: [
      { name: "day", label: "Day (UTC)", type: "date", value: yesterday(), required: true },
      { name: "zones", label: "Zones (none ticked: the whole area, or all of yours)", type: "checks", many: true, options: zones },
    ],
    submitLabel: "Make report",
  });
  if (!asked) return;
  toast(`Making the report of ${asked.day}…`);
  try {
    const made = await api("/reports", { method: "POST", body: { day: asked.day, zones: asked.zones.length ? asked.zones : null } });
    toast(`Report of ${made.day} made (${scopeText(made)}).`);
  } catch (err) {
    toast(`Report not made: ${err.message}`);
    return;
  }
  return showReports();
}
