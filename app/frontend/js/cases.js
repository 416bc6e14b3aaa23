// The vessel panel's case section (docs/cases.md): the vessel's suspect case, its status and
// notes, a note to add, and the dossier to export; "Open case" for a vessel without one.
// Analysts, officers and admins write; a liaison reads the cases of its zones.

import { api, download } from "./api.js";
import { openDialog } from "./dialog.js";
import { fmtUtc, h, toast } from "./format.js";

const WRITERS = ["admin", "officer", "analyst"];
const STATUSES = [
  { value: "open", label: "open" },
  { value: "monitoring", label: "monitoring" },
  { value: "handed_over", label: "handed over" },
  { value: "closed", label: "closed" },
];

/** Return the case section of the vessel panel; it loads and redraws itself. */
export function caseSection(vessel, user) {
  const box = h("section", { id: "case-section", class: "case-section", "aria-label": "Case" }, h("h3", {}, "Case"));
  const writer = WRITERS.includes(user?.role);
  load(box, vessel, writer);
  return box;
}

async function load(box, vessel, writer) {
  let cases;
  try {
    cases = await api("/cases", { params: { mmsi: vessel.mmsi } });
  } catch (err) {
    box.replaceChildren(h("h3", {}, "Case"), h("p", { class: "muted" }, `Cases unavailable: ${err.message}`));
    return;
  }
  const active = cases.find((c) => c.status !== "closed") || cases[0];
  if (!active) {
    box.replaceChildren(
      h("h3", {}, "Case"),
      h("p", { class: "muted" }, "No case on this vessel."),
      writer ? h("div", { class: "actions" }, h("button", { type: "button", id: "act-case-open", onclick: () => openCase(box, vessel, writer) }, "Open case")) : null,
    );
    return;
  }
  let full;
  try {
    full = await api(`/cases/${active.id}`);
  } catch (err) {
    box.replaceChildren(h("h3", {}, "Case"), h("p", { class: "muted" }, `Case ${active.id}: ${err.message}`));
    return;
  }
  render(box, vessel, full, writer, cases.length - 1);
}

function render(box, vessel, c, writer, others) {
  const reload = () => load(box, vessel, writer);
  const status = writer
    ? h(
        "select",
        { id: "case-status", class: "small", "aria-label": "Case status", onchange: (ev) => changeStatus(c, ev.currentTarget.value, reload) },
        STATUSES.map((s) => h("option", { value: s.value, selected: s.value === c.status }, s.label)),
      )
    : h("span", { class: "pill", id: "case-status" }, c.status.replace("_", " "));
  const linked = c.attached?.linked_vessels || [];
  const notes = h(
    "ol",
    { class: "case-notes", id: "case-notes" },
    c.notes.map((n) =>
      h(
        "li",
        { dataset: { note: String(n.id) } },
        h("div", { class: "muted small" }, `${n.author} · ${fmtUtc(n.time)}`, n.edited_by ? ` · edited by ${n.edited_by}` : ""),
        h("div", { class: "note-text" }, n.text),
      ),
    ),
  );
  const text = h("textarea", { id: "case-note-text", rows: 2, "aria-label": "New note", placeholder: "Add a note…" });
  const addNote = async () => {
    const value = text.value.trim();
    if (!value) return;
    try {
      await api(`/cases/${c.id}/notes`, { method: "POST", body: { text: value } });
      reload();
    } catch (err) {
      toast(`Note: ${err.message}`);
    }
  };
  box.replaceChildren(
    ...[
      h("h3", {}, `Case ${c.id}`),
      h("p", { class: "case-title", id: "case-title" }, c.title),
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, "Status"),
        h("dd", {}, status),
        h("dt", {}, "Assignee"),
        h("dd", {}, c.assignee || "–"),
        h("dt", {}, "Opened"),
        h("dd", {}, `${fmtUtc(c.created_at)} by ${c.created_by}`),
        h("dt", {}, "Linked"),
        h("dd", {}, linked.length ? linked.map((v) => v.name || v.ref).join(", ") : "–"),
        others > 0 ? [h("dt", {}, "Earlier"), h("dd", {}, `${others} other case${others > 1 ? "s" : ""}`)] : null,
      ),
      c.notes.length ? notes : h("p", { class: "muted", id: "case-notes" }, "No notes yet."),
      writer ? text : null,
      h(
        "div",
        { class: "actions" },
        writer ? h("button", { type: "button", id: "act-case-note", onclick: addNote }, "Add note") : null,
        h("button", { type: "button", class: "ghost", id: "act-case-pdf", onclick: () => exportDossier(c, "pdf") }, "Dossier PDF"),
        h("button", { type: "button", class: "ghost", id: "act-case-html", onclick: () => exportDossier(c, "html") }, "HTML"),
      ),
    ].filter(Boolean),
  );
}

async function openCase(box, vessel, writer) {
  const vals = await openDialog({
    title: `Open a case on ${vessel.name || vessel.mmsi}`,
    fields: [
      { name: "title", label: "Title", required: true, value: vessel.name ? `${vessel.name}` : "" },
      { name: "status", label: "Status", type: "select", value: "open", options: STATUSES },
      { name: "assignee", label: "Assignee" },
      { name: "note", label: "First note", type: "textarea" },
      { name: "watch", label: "Watchlist", type: "checks", options: [{ value: "yes", label: "Put the vessel on the watchlist", checked: true }] },
    ],
    submitLabel: "Open case",
  });
  if (!vals) return;
  const body = {
    mmsi: vessel.mmsi,
    title: vals.title,
    status: vals.status,
    assignee: vals.assignee || null,
    note: vals.note || null,
    watch: vals.watch.includes("yes"),
  };
  try {
    const c = await api("/cases", { method: "POST", body });
    toast(`Case ${c.id} opened`);
    load(box, vessel, writer);
  } catch (err) {
    toast(`Case: ${err.message}`);
  }
}

async function changeStatus(c, status, reload) {
  try {
    await api(`/cases/${c.id}`, { method: "PATCH", body: { status } });
    toast(`Case ${c.id}: ${status.replace("_", " ")}`);
  } catch (err) {
    toast(`Case: ${err.message}`);
  }
  reload();
}

function exportDossier(c, format) {
  download(`/cases/${c.id}/dossier`, { format }, `mare-case-${c.id}.${format}`).catch((err) => toast(`Dossier: ${err.message}`));
}
