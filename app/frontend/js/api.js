// The HTTP side of docs/api.md: the bearer token and JSON calls to /api/v1.
//
// The token lives in sessionStorage (gone when the tab closes) and travels only in the
// Authorization header or the WebSocket's first message, never in a URL, so it never lands
// in a server or proxy log.

const TOKEN_KEY = "mare.token";
const USER_KEY = "mare.user";
export const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  }
}

export function storedUser() {
  try {
    return JSON.parse(sessionStorage.getItem(USER_KEY) || "null");
  } catch {
    return null;
  }
}

export function setStoredUser(user) {
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

/** Take `#token=...` from the address bar (wall displays), keep it, and erase it from view. */
export function adoptFragmentToken(loc = window.location, hist = window.history) {
  const hash = loc.hash.startsWith("#") ? loc.hash.slice(1) : loc.hash;
  if (!hash) return false;
  const params = new URLSearchParams(hash);
  const value = params.get("token");
  if (!value) return false;
  setToken(value);
  params.delete("token");
  const rest = params.toString();
  hist.replaceState(hist.state, "", loc.pathname + loc.search + (rest ? `#${rest}` : ""));
  return true;
}

function query(params) {
  if (!params) return "";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function apiUrl(path, params) {
  return BASE + path + query(params);
}

/** Call the API; JSON in and out; throws ApiError with the contract's error code. */
export async function api(path, { method = "GET", params, body, raw = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(apiUrl(path, params), {
    method,
    headers,
    body: payload,
    signal,
    credentials: "omit",
    cache: "no-store",
  });
  if (res.status === 401 && path !== "/auth/login") onUnauthorized();
  if (!res.ok) {
    let err = {};
    try {
      err = await res.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, err.error, err.message || err.detail, err.detail);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.text();
}

export async function login(username, password) {
  const out = await api("/auth/login", { method: "POST", body: { username, password } });
  setToken(out.token);
  setStoredUser(out.user);
  return out.user;
}

export async function logout() {
  try {
    if (token()) await api("/auth/logout", { method: "POST" });
  } catch {
    /* the token may already be gone */
  } finally {
    setToken(null);
  }
}

/** Download an export through fetch (the token stays in the header) and save it as a file. */
export async function download(path, params, fallbackName, { method = "GET", body } = {}) {
  const res = await api(path, { params, raw: true, method, body });
  const blob = await res.blob();
  const disp = res.headers.get("content-disposition") || "";
  const m = /filename="?([^";]+)"?/.exec(disp);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = m ? m[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  return blob;
}

/** Fetch every page of a list endpoint (the contract's `next_cursor`). */
export async function listAll(path, params = {}, max = 20_000) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path, { params: { ...params, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
