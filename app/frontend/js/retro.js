// The results of a retroactive geofence (who was inside a drawn area, and when): listed with
// their vessels, each row opening the vessel panel, exportable as the server's own file (the
// same search, scoped as the search is), and cleared with their tracks when the mode is left.

import { download } from "./api.js";
import { fmtUtc, h, toast } from "./format.js";

export class RetroResults {
  constructor({ root, map, onOpen }) {
    this.root = root;
    this.map = map;
    this.onOpen = onOpen;
    this.search = null; // {polygon, start, end}
    this.items = [];
  }

  get shown() {
    return this.search !== null;
  }

  /** List ``items`` (the API's rows) found by ``search`` and draw their ``tracks``. */
  show(search, items, tracks) {
    this.search = search;
    this.items = items;
    this.map.set({ retroTracks: tracks });
    const n = items.length;
    this.root.replaceChildren(
      h("button", { type: "button", class: "close", "aria-label": "Close the results", onclick: () => this.clear() }, "×"),
      h("h1", {}, "Inside the area"),
      h(
        "p",
        { class: "muted", id: "retro-summary" },
        `${fmtUtc(search.start)} to ${fmtUtc(search.end)}: ${n} vessel${n === 1 ? "" : "s"}; tracks in violet.`,
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "retro-geojson", class: "ghost", onclick: () => this.export("geojson") }, "Export GeoJSON"),
        h("button", { type: "button", id: "retro-csv", class: "ghost", onclick: () => this.export("csv") }, "Export CSV"),
      ),
      h(
        "table",
        { class: "small", id: "retro-results" },
        h("thead", {}, h("tr", {}, h("th", {}, "Vessel"), h("th", {}, "First in"), h("th", {}, "Last in"), h("th", {}, "Fixes"))),
        h(
          "tbody",
          {},
          items.map((r) =>
            h(
              "tr",
              { dataset: { mmsi: String(r.mmsi) } },
              h(
                "td",
                {},
                h("button", { type: "button", class: "link", title: "Open the vessel", onclick: () => this.onOpen(r.mmsi) }, r.name || `MMSI ${r.mmsi}`),
                h("br"),
                h("span", { class: "muted mono" }, String(r.mmsi)),
              ),
              h("td", {}, fmtUtc(r.first_inside)),
              h("td", {}, fmtUtc(r.last_inside)),
              h("td", {}, String(r.positions ?? "–")),
            ),
          ),
        ),
      ),
    );
    this.root.hidden = false;
    this.root.focus();
  }

  /** Forget the results: the list, and their tracks and area on the map. */
  clear() {
    if (!this.shown) return;
    this.search = null;
    this.items = [];
    this.root.hidden = true;
    this.root.replaceChildren();
    this.map.set({ retroTracks: [], draw: null });
  }

  /** Download the search as the server answers it (POST /export/retro): the file is the list. */
  export(format) {
    if (!this.search) return null;
    return download("/export/retro", { format }, `mare-retro.${format}`, { method: "POST", body: this.search }).catch((err) =>
      toast(`Export failed: ${err.message}`),
    );
  }
}
