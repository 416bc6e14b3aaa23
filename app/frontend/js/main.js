// Boot: sign-in (form or `#token=`), then the map, the live feed, the alert feed and the tools.

import {
  adoptFragmentToken,
  api,
  login,
  logout,
  setStoredUser,
  setUnauthorizedHandler,
  storedUser,
  token,
} from "./api.js";
import { AlertFeed } from "./alerts.js";
import { Assets } from "./assets.js";
import { Drawing } from "./draw.js";
import { Filters, Search, loadZones } from "./filters.js";
import { openDialog } from "./dialog.js";
import { alertSubject, fmtLatLon, fmtNum, fmtUtc, h, kindText, setEventTime, toast } from "./format.js";
import { LiveFeed } from "./live.js";
import { MareMap } from "./map.js";
import { VesselPanel } from "./panel.js";
import { showPartners } from "./partners.js";
import { printPictureOnPrint, saveMapPicture } from "./picture.js";
import { Replay } from "./replay.js";
import { showReports } from "./reports.js";
import { RetroResults } from "./retro.js";
import { Targets } from "./targets.js";
import { RulesEditor } from "./rules.js";
import { VesselStore } from "./store.js";
import { mountTheme } from "./theme.js";
import { mountKeys, showShortcuts } from "./keys.js";

const $ = (id) => document.getElementById(id);

const app = {
  store: new VesselStore(),
  user: null,
  map: null,
  feed: null,
  alerts: null,
  panel: null,
  zones: null,
  mode: "live",
};
window.mare = app;

async function boot() {
  adoptFragmentToken();
  setUnauthorizedHandler(() => signOut("Your session has ended; please sign in again."));
  const description = await fetch("/static/map.json").then((r) => r.json());
  app.map = new MareMap($("map"), description, app.store, {
    onHover: showTooltip,
    onClick: onMapClick,
  });
  mountTheme(app.map);
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", () => signOut());
  if (token()) {
    try {
      const me = await api("/auth/me");
      setStoredUser(me);
      return start(me);
    } catch {
      /* fall through to the form */
    }
  }
  showLogin();
}

function showLogin(message = "") {
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("login-user").focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const btn = ev.submitter || ev.target.querySelector("button");
  btn.disabled = true;
  try {
    const user = await login($("login-user").value.trim(), $("login-pass").value);
    $("login-pass").value = "";
    await start(user);
  } catch (err) {
    $("login-error").textContent = err.status === 401 ? "Wrong user name or password." : err.message;
  } finally {
    btn.disabled = false;
  }
}

async function signOut(message) {
  app.feed?.stop();
  await logout();
  app.user = null;
  location.hash = "";
  if (message || app.started) location.reload();
  else showLogin(message);
}

async function start(user) {
  if (app.started) return;
  app.started = true;
  app.user = user || storedUser();
  $("login").hidden = true;
  $("user-name").textContent = `${app.user.username} · ${app.user.role}`;
  $("partners").hidden = app.user.role !== "admin";
  $("partners").addEventListener("click", () => showPartners());
  $("reports").addEventListener("click", () => showReports());
  const map = app.map;

  app.panel = new VesselPanel({
    root: $("panel"),
    body: $("panel-body"),
    map,
    store: app.store,
    user: app.user,
    zoneName: (id) => zoneName(id),
  });
  $("panel-close").addEventListener("click", () => app.panel.close());

  app.alerts = new AlertFeed({
    list: $("alert-list"),
    user: app.user,
    zoneName: (id) => zoneName(id),
    onFocus: focusAlert,
    // The open count is the server's (GET /stats), never the feed's: the feed holds only the
    // latest 300. A change in the feed asks the server again (at most once a second).
    onChange: () => scheduleStats(),
  });
  document.querySelectorAll("[data-alerts]").forEach((b) =>
    b.addEventListener("click", () => {
      document.querySelectorAll("[data-alerts]").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
      app.alerts.setFilter(b.dataset.alerts);
    }),
  );
  $("alert-severity").addEventListener("change", (ev) => app.alerts.setMinSeverity(ev.target.value));
  app.rules = new RulesEditor({ user: app.user });
  $("alert-rules").addEventListener("click", () => app.rules.open());
  // The export is for those who may read everything (the API refuses liaisons).
  $("export-alerts").hidden = app.user.role === "liaison";
  $("export-alerts").addEventListener("click", (ev) => {
    ev.preventDefault();
    app.alerts.exportAlerts();
  });

  // the map picture: saved as PNG, and what is printed in place of the live canvases
  const picture = { map, container: $("map"), legend: document.querySelector(".legend") };
  $("save-picture").addEventListener("click", () => saveMapPicture(picture).catch((err) => toast(`Picture not saved: ${err.message}`)));
  printPictureOnPrint(picture);

  app.assets = new Assets({ map, user: app.user });
  app.assets.start();
  app.targets = new Targets({ map, user: app.user, panel: app.panel });
  app.targets.start();
  $("map").addEventListener("contextmenu", (ev) => {
    if (app.mode !== "live" || !(app.assets.canEdit || app.targets.canReport)) return;
    ev.preventDefault();
    const r = $("map").getBoundingClientRect();
    const at = map.unproject(ev.clientX - r.left, ev.clientY - r.top);
    if (at) contextAt(at[0], at[1]);
  });

  const filters = new Filters({ store: app.store, onChange: () => map.render() });
  filters.mount();
  app.filters = filters;
  $("filters-toggle").addEventListener("click", () => {
    const box = $("filters");
    box.hidden = !box.hidden;
    $("filters-toggle").setAttribute("aria-expanded", String(!box.hidden));
  });
  $("filter-dark").addEventListener("change", (e) => map.set({ showDark: e.target.checked }));
  $("filter-zones").addEventListener("change", (e) => map.set({ showZones: e.target.checked }));

  new Search({
    input: $("search"),
    results: $("search-results"),
    onPick: (v) => {
      if (Number.isFinite(v.lon)) map.flyTo(v.lon, v.lat, 8);
      app.panel.open(v.mmsi);
    },
  }).mount();

  app.replay = new Replay({
    map,
    els: {
      bar: $("replay-bar"),
      form: $("replay-form"),
      start: $("replay-start"),
      end: $("replay-end"),
      inView: $("replay-view"),
      play: $("replay-play"),
      speed: $("replay-speed"),
      time: $("replay-time"),
      marks: $("replay-marks"),
      clock: $("replay-clock"),
      status: $("replay-status"),
      exportLink: $("replay-export"),
    },
  });
  app.replay.mount();

  app.drawing = new Drawing({
    map,
    user: app.user,
    bar: $("draw-bar"),
    hint: $("draw-hint"),
    onZoneSaved: () => refreshZones(),
    onDone: () => setMode("live"),
    onResults: (search, items, tracks) => app.retro.show(search, items, tracks),
  });
  app.retro = new RetroResults({ root: $("retro"), map, onOpen: (mmsi) => app.panel.open(mmsi) });
  $("draw-undo").addEventListener("click", () => app.drawing.undo());
  $("map").addEventListener("click", (ev) => {
    if (app.mode !== "draw" || !app.drawing.active) return;
    const r = $("map").getBoundingClientRect();
    app.drawing.clickAt(ev.clientX - r.left, ev.clientY - r.top);
  });
  $("draw-cancel").addEventListener("click", () => app.drawing.cancel());

  document.querySelectorAll(".modes [data-mode]").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  const canReplay = app.user.role !== "liaison";
  document.querySelector('[data-mode="replay"]').hidden = !canReplay;
  document.querySelector('[data-mode="draw"]').hidden = app.user.role === "liaison";

  mountKeys({ alertList: $("alert-list") });
  $("shortcuts-open").addEventListener("click", () => showShortcuts());
  document.addEventListener("keydown", onKey);

  app.feed = new LiveFeed({
    getToken: token,
    onSnapshot: (vessels) => {
      app.store.reset(vessels);
      afterVesselsChanged();
    },
    onDiff: (upsert, remove) => {
      app.store.applyDiff(upsert, remove);
      afterVesselsChanged(upsert);
    },
    onAlert: (alert) => {
      const fresh = app.alerts.push(alert); // a stored version of an unstored one is not news
      if (fresh && ["high", "critical"].includes(alert.severity)) toast(`${kindText(alert.kind)}: ${alertSubject(alert)}`);
    },
    onState: (s) => {
      const el = $("link-state");
      el.dataset.state = s;
      el.textContent = s;
    },
    onAuthFailed: async () => {
      // The socket refuses a token it cannot check in time too: ask the API before signing out.
      try {
        await api("/auth/me");
        setTimeout(() => app.feed.start(), 2000);
      } catch {
        /* a 401 signs out through the unauthorized handler */
      }
    },
  });
  app.feed.start();
  const [land] = await Promise.all([
    api("/basemap").catch((err) => {
      toast(`Coastline unavailable: ${err.message}`);
      return null;
    }),
    refreshZones(),
    app.alerts.load().catch((err) => toast(`Alerts unavailable: ${err.message}`)),
  ]);
  map.set({ land });

  refreshStats();
  setInterval(refreshStats, 15_000);
  // Ages tick by themselves, once a second, on the engine's clock.
  setInterval(() => app.alerts.tick(), 1000);
}

let statsTimer = 0;
function scheduleStats() {
  if (statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = 0;
    refreshStats();
  }, 1000);
}

function afterVesselsChanged(upsert) {
  const st = app.store;
  $("stat-live").textContent = String(st.length - st.countWith(1));
  $("stat-dark").textContent = String(st.countWith(1));
  if (app.panel?.following && upsert) {
    const v = st.get(app.panel.mmsi);
    if (v) app.panel.onVesselUpdate(v);
  }
  app.map.render();
}

async function refreshStats() {
  try {
    const s = await api("/stats");
    setEventTime(s.event_time);
    $("stat-open").textContent = String(s.alerts_open);
    app.alerts.tick();
  } catch {
    /* keep the last count the server gave */
  }
}

async function refreshZones() {
  try {
    app.zones = await loadZones();
    app.map.setZones(app.zones);
    app.filters?.setZoneOptions(app.zones);
    // Alert cards name their zone: those drawn before the zones came (or were renamed) show
    // the new names now.
    app.alerts?.draw();
  } catch (err) {
    toast(`Zones unavailable: ${err.message}`);
  }
}

function zoneName(id) {
  const f = app.zones?.features?.find((z) => z.properties?.id === id);
  return f?.properties?.name || id;
}

function focusAlert(a) {
  if (Number.isFinite(a.lon) && Number.isFinite(a.lat)) app.map.flyTo(a.lon, a.lat, 9);
  if (a.kind === "dark_target") app.targets.openNumber(a.mmsi);
  else if (a.mmsi) app.panel.open(a.mmsi);
}

function setMode(mode) {
  if (mode === app.mode && mode !== "draw") return;
  const prev = app.mode;
  app.mode = mode;
  document.querySelectorAll(".modes [data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === mode)));
  if (prev === "replay" && mode !== "replay") app.replay.stop();
  if (mode === "replay") app.replay.defaultWindow();
  if (prev === "draw" && mode !== "draw" && app.drawing.active) app.drawing.cancel();
  if (prev === "draw") app.retro.clear(); // results and their tracks belong to the mode
  $("replay-bar").hidden = mode !== "replay";
  if (mode === "draw") app.drawing.start();
  app.map.set({ mode });
  if (mode === "live") app.map.set({ draw: null });
}

/** Right-click on the map: report a contact (a boat seen without AIS) or place an own asset. */
async function contextAt(lon, lat) {
  if (!app.assets.canEdit) return app.targets.report(lon, lat);
  const vals = await openDialog({
    title: `At ${fmtLatLon(lat, lon)}`,
    fields: [
      {
        name: "what",
        label: "Here",
        type: "select",
        value: "contact",
        options: [
          { value: "contact", label: "Report a contact (boat without AIS)" },
          { value: "asset", label: "Add or move an own asset" },
        ],
      },
    ],
    submitLabel: "Next",
  });
  if (!vals) return;
  if (vals.what === "contact") await app.targets.report(lon, lat);
  else await app.assets.contextAt(lon, lat);
}

function onMapClick(info) {
  if (app.mode === "draw") return; // drawing reads the DOM's own clicks (no tap delay)
  const id = info.layer?.id;
  if (id === "vessels" && info.index >= 0) {
    app.panel.open(app.store.mmsi[info.index]);
  } else if (id === "replay-alerts" && info.object) {
    // one vessel's alerts open it; a cluster of several zooms in on them
    const c = info.object;
    if (c.mmsi) app.panel.open(c.mmsi);
    else app.map.flyTo(c.lon, c.lat, app.map.viewState.zoom + 2);
  } else if (id === "replay-heads" && info.index >= 0) {
    const v = app.replay.vesselOfHead(info.index);
    if (v) app.panel.open(v.mmsi);
  } else if (id === "assets" && info.object) {
    const { position, text, ...asset } = info.object;
    app.assets.open(asset);
  } else if (id === "targets" && info.object) {
    app.targets.open(info.object);
  } else if ((id === "replay-heads" || id === "replay-trips" || id === "retro-tracks") && info.object) {
    app.panel.open(info.object.mmsi);
  }
}

function showTooltip(info) {
  const tip = $("tooltip");
  const id = info.layer?.id;
  let lines = null;
  if (id === "vessels" && info.index >= 0) {
    const v = app.store.objects[info.index];
    if (v) {
      lines = [
        h("b", {}, v.name || `MMSI ${v.mmsi}`),
        h("div", { class: "muted" }, `${v.ship_type_text || "–"} · ${v.flag || "?"} · risk ${v.risk ?? 0}`),
        h("div", {}, v.dark ? `dark since ${fmtUtc(v.dark_since || v.last_seen)}` : `${fmtNum(v.speed, 1)} kn, ${fmtNum(v.course, 0)}°`),
      ];
    }
  } else if ((id === "zones" || id === "zone-fills") && info.object) {
    const p = info.object.properties || {};
    lines = [h("b", {}, p.name || p.id), h("div", { class: "muted" }, String(p.kind || "").replaceAll("_", " "))];
  } else if (id === "replay-alerts" && info.object?.count > 1) {
    lines = [h("b", {}, `${info.object.count} vessels with alerts`), h("div", { class: "muted" }, "click to zoom in")];
  } else if (id === "replay-alerts" && info.object) {
    const a = info.object.alert;
    lines = [h("b", {}, kindText(a.kind)), h("div", { class: "muted" }, `${a.vessel_name || a.mmsi} · ${fmtUtc(a.start)}`)];
  } else if (id === "replay-heads" && info.index >= 0) {
    const v = app.replay.vesselOfHead(info.index);
    if (v) lines = [h("b", {}, v.name || `MMSI ${v.mmsi}`)];
  } else if ((id === "replay-heads" || id === "replay-trips" || id === "retro-tracks") && info.object) {
    lines = [h("b", {}, info.object.name || `MMSI ${info.object.mmsi}`)];
  } else if (id === "assets" && info.object) {
    const a = info.object;
    lines = [
      h("b", {}, a.name),
      h("div", { class: "muted" }, `own ${a.kind === "aircraft" ? "aircraft" : "patrol vessel"} · up to ${fmtNum(a.max_speed_kn, 0)} kn`),
      h("div", {}, a.on_ais ? `on its AIS (MMSI ${a.mmsi})` : "position set by hand"),
    ];
  } else if (id === "targets" && info.object) {
    const t = info.object;
    lines = [
      h("b", {}, `${t.target}: boat without AIS`),
      h("div", { class: "muted" }, `${t.source} · last seen ${fmtUtc(t.last_seen)}`),
      h("div", {}, `${t.people ? `${t.people} people · ` : ""}${t.n_contacts} contact(s)`),
    ];
  } else if (id === "intercept-points" && info.object?.label) {
    lines = [h("b", {}, info.object.label)];
  }
  if (!lines) {
    tip.hidden = true;
    return;
  }
  tip.replaceChildren(...lines);
  tip.style.left = `${info.x + 14}px`;
  tip.style.top = `${info.y + 14}px`;
  tip.hidden = false;
}

function onKey(ev) {
  const typing = ev.target.closest?.("input, select, textarea");
  if (ev.key === "/" && !typing) {
    ev.preventDefault();
    $("search").focus();
  } else if (ev.key === "Escape" && !document.querySelector(".dialog-backdrop")) {
    if (app.mode === "draw" && app.panel.root.hidden) setMode("live");
    else if (!app.panel.root.hidden) {
      app.panel.close();
      $("map").focus();
    }
  } else if (ev.key === "a" && !typing && app.mode === "live" && ev.target === $("map") && app.assets?.canEdit) {
    // The keyboard's way to the map's context menu: an asset at the centre of the view.
    ev.preventDefault();
    app.assets.contextAt(app.map.viewState.longitude, app.map.viewState.latitude);
  } else if (ev.key === "Enter" && app.mode === "draw" && app.drawing.active && !typing) {
    ev.preventDefault();
    app.drawing.finish();
  }
}

boot().catch((err) => {
  console.error(err);
  toast(`Mare could not start: ${err.message}`);
});
