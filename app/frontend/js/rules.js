// The alert rules (GET/PUT /api/v1/alert-rules): everyone reads which events are alerts and
// why; admins edit the document here. A refused document keeps the dialog open with the
// server's reason (it names the rule), so nothing typed is lost.

import { api } from "./api.js";
import { h, kindText, toast } from "./format.js";

/** One line of words for a rule's conditions. */
export function whenText(when) {
  const parts = [];
  if (when.kinds) parts.push(when.kinds.map(kindText).join(" or "));
  if (when.zone_kinds) parts.push(`in ${when.zone_kinds.map((k) => k.replaceAll("_", " ")).join(" or ")}`);
  if (when.zones) parts.push(`in ${when.zones.join(", ")}`);
  if (when.ship_types) parts.push(when.ship_types.join("/"));
  if (when.ais_class) parts.push(`class ${when.ais_class.join("/")}`);
  if (when.flags) parts.push(`flag ${when.flags.join("/")}`);
  if (when.min_risk != null) parts.push(`risk ≥ ${when.min_risk}`);
  if (when.max_risk != null) parts.push(`risk ≤ ${when.max_risk}`);
  if (when.min_severity) parts.push(`${when.min_severity} or worse`);
  for (const k of ["watchlisted", "no_imo", "unidentified", "night"]) {
    if (when[k] != null) parts.push(`${when[k] ? "" : "not "}${k.replaceAll("_", " ")}`);
  }
  return parts.length ? parts.join(", ") : "any event";
}

export class RulesEditor {
  constructor({ user }) {
    this.user = user;
  }

  get canEdit() {
    return this.user.role === "admin";
  }

  async open() {
    let doc;
    try {
      doc = await api("/alert-rules");
    } catch (err) {
      toast(`Alert rules unavailable: ${err.message}`);
      return;
    }
    this.show(doc);
  }

  table(doc) {
    return h(
      "table",
      { class: "rules" },
      h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "rule"), h("th", {}, "when"), h("th", {}, "then"))),
      h(
        "tbody",
        {},
        (doc.rules || []).map((r, i) =>
          h(
            "tr",
            { dataset: { rule: r.id }, title: r.description || "" },
            h("td", {}, String(i + 1)),
            h("td", {}, r.id),
            h("td", {}, whenText(r.when || {})),
            h("td", {}, r.then === "alert" ? `alert${r.severity ? ` (${r.severity})` : ""}` : "event only"),
          ),
        ),
      ),
    );
  }

  show(doc) {
    const root = document.getElementById("dialog-root");
    const before = document.activeElement;
    const error = h("p", { class: "error", role: "alert" });
    const text = h("textarea", { name: "rules", rows: 16, spellcheck: "false", "aria-label": "Rules (JSON)" }, JSON.stringify(doc, null, 2));
    const close = () => {
      backdrop.remove();
      before?.focus?.();
    };
    const save = h("button", { type: "submit" }, "Save rules");
    const form = h(
      "form",
      { class: "dialog card rules-dialog", role: "dialog", "aria-modal": "true", "aria-label": "Alert rules" },
      h("h2", {}, "Alert rules"),
      h("p", { class: "muted" }, "Tried in order; the first that matches decides. Everything else is recorded on the vessel and counts in its risk."),
      this.table(doc),
      this.canEdit ? h("label", {}, "Rules (JSON, as the rules file)", text) : null,
      error,
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "ghost", onclick: close }, this.canEdit ? "Cancel" : "Close"),
        this.canEdit ? save : null,
      ),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let body;
      try {
        body = JSON.parse(text.value);
      } catch (err) {
        error.textContent = `Not JSON: ${err.message}`;
        return;
      }
      save.disabled = true;
      try {
        await api("/alert-rules", { method: "PUT", body });
        toast("Alert rules saved: new events follow them");
        close();
      } catch (err) {
        error.textContent = err.message; // names the rule and the reason
      } finally {
        save.disabled = false;
      }
    });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        close();
      }
    });
    const backdrop = h("div", { class: "dialog-backdrop" }, form);
    root.append(backdrop);
    (this.canEdit ? text : form.querySelector("button"))?.focus();
  }
}
