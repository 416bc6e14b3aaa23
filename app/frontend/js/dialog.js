// A small modal form (keyboard first: focus moves in, Escape cancels, Enter submits, focus
// returns where it was). Resolves with the field values, or null when cancelled.

import { h } from "./format.js";

export function openDialog({ title, fields = [], submitLabel = "Save", body = null }) {
  const root = document.getElementById("dialog-root");
  const before = document.activeElement;
  return new Promise((resolve) => {
    const inputs = {};
    const controls = fields.map((f) => {
      let input;
      if (f.type === "select") {
        input = h(
          "select",
          { name: f.name },
          f.options.map((o) => h("option", { value: o.value, selected: o.value === f.value }, o.label)),
        );
      } else if (f.type === "textarea") {
        input = h("textarea", { name: f.name, rows: 3, required: f.required }, f.value || "");
      } else if (f.type === "checks") {
        input = h(
          "div",
          { class: f.many ? "checks many" : "checks", role: "group", "aria-label": f.label },
          f.options.map((o) =>
            h("label", {}, h("input", { type: "checkbox", value: o.value, checked: o.checked }), o.label),
          ),
        );
      } else {
        input = h("input", {
          name: f.name,
          type: f.type || "text",
          value: f.value ?? "",
          required: f.required,
          min: f.min,
          max: f.max,
          pattern: f.pattern,
          placeholder: f.placeholder,
          inputmode: f.inputmode,
        });
      }
      inputs[f.name] = input;
      return f.type === "checks" ? h("div", {}, h("span", { class: "muted" }, f.label), input) : h("label", {}, f.label, input);
    });
    const error = h("p", { class: "error", role: "alert" });
    const close = (value) => {
      backdrop.remove();
      if (before && before.focus) before.focus();
      resolve(value);
    };
    const form = h(
      "form",
      { class: "dialog card", role: "dialog", "aria-modal": "true", "aria-label": title },
      h("h2", {}, title),
      body,
      controls,
      error,
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "ghost", onclick: () => close(null) }, "Cancel"),
        h("button", { type: "submit" }, submitLabel),
      ),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const out = {};
      for (const f of fields) {
        const el = inputs[f.name];
        if (f.type === "checks") {
          out[f.name] = [...el.querySelectorAll("input:checked")].map((c) => c.value);
        } else out[f.name] = el.value;
      }
      close(out);
    });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        close(null);
      }
    });
    const backdrop = h("div", { class: "dialog-backdrop" }, form);
    root.append(backdrop);
    const first = form.querySelector("input, select, textarea, button[type=submit]");
    if (first) first.focus();
  });
}
