// Partner agencies (CISE): what each agreement sends and whether its endpoint is allowed, for
// admins (GET /api/v1/cise/partners). Read-only: the agreements live in the partners file an
// admin keeps (MARE_CISE_PARTNERS_FILE); tokens are never shown, only whether they are set.

import { api } from "./api.js";
import { openDialog } from "./dialog.js";
import { h, kindText, toast } from "./format.js";

function agreement(send) {
  if (!send) return "nothing (receive only)";
  const zones = send.zones ? `zones ${send.zones.join(", ") || "none"}` : "all zones";
  const kinds = send.kinds ? send.kinds.map(kindText).join(", ") || "no kinds" : "all kinds";
  const sev = send.min_severity ? `${send.min_severity} or worse` : "any severity";
  return `${zones}; ${kinds}; ${sev}`;
}

function row(p) {
  const endpoint = p.url ? `${p.url}${p.url_allowed ? "" : " (not in MARE_CISE_ALLOWLIST: nothing is sent)"}` : "–";
  const tokens = [p.inbound_token_set ? "accepts its pushes" : "accepts nothing from it", p.outbound_token_set ? "token out set" : "no token out"];
  return h(
    "tr",
    { dataset: { partner: p.id } },
    h("td", {}, h("b", {}, p.authority), h("div", { class: "muted" }, `${p.id} · ${p.service_id}`)),
    h("td", {}, agreement(p.send)),
    h("td", {}, endpoint),
    h("td", {}, `${p.purpose}, ${p.security_level}, ${p.sensitivity}`, h("div", { class: "muted" }, tokens.join(" · "))),
  );
}

export async function showPartners() {
  let info;
  try {
    info = await api("/cise/partners");
  } catch (err) {
    toast(`Partners unavailable: ${err.message}`);
    return;
  }
  const out = info.outbound || {};
  const body = h(
    "div",
    { class: "partners" },
    h("p", { class: "muted" }, `This Mare: ${info.authority} (${info.service_id}). Pushes sent ${out.ok || 0}, failed attempts ${out.failed || 0}, given up ${out.gave_up || 0}, in flight ${out.pending || 0}.`),
    info.partners.length
      ? h(
          "table",
          { class: "partners-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "Partner"), h("th", {}, "Receives"), h("th", {}, "Endpoint"), h("th", {}, "Labels"))),
          h("tbody", {}, info.partners.map(row)),
        )
      : h("p", {}, "No partners (MARE_CISE_PARTNERS_FILE is not set)."),
  );
  await openDialog({ title: "CISE partners", body, submitLabel: "Close" });
}
