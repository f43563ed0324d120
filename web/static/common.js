// Helpers shared by the relay's pages. Everything that comes from the relay
// or from a post is untrusted text: it goes into the page with textContent
// (through el and setText), never as HTML.

/** The element with this id. */
export function byId(id) {
  return document.getElementById(id);
}

/**
 * A new element: el("a", { href: "/keys", className: "x" }, "text", child…).
 * Strings become text nodes; props are set as properties (never innerHTML).
 */
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "innerHTML" || k === "outerHTML") throw new Error("el: no HTML");
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("aria-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** Sets the text of the element with this id; an absent value shows as "—". */
export function setText(id, value) {
  const e = byId(id);
  if (e) e.textContent = value === undefined || value === null || value === "" ? "—" : String(value);
}

/** Replaces the children of an element (by id or element) with nodes. */
export function fill(target, nodes) {
  const e = typeof target === "string" ? byId(target) : target;
  if (e) e.replaceChildren(...nodes);
}

/** Fills a list (by id) with one item per value, or a single "—" when there are none. */
export function fillList(id, values, render) {
  const items = (values || []).map((v) => el("li", {}, render ? render(v) : v));
  fill(id, items.length ? items : [el("li", {}, "—")]);
}

/**
 * Shows a message in #status; state is "busy", "ok", "error", "idle" or
 * "unavailable" (data-state, for styling and for tests).
 */
export function status(state, message) {
  const e = byId("status");
  if (!e) return;
  e.dataset.state = state;
  e.textContent = message || "";
  e.hidden = !message;
}

/** An error from the relay's JSON API: its code and message. */
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET a JSON document from the relay; a non-2xx answer throws an APIError. */
export async function getJSON(path, init) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, ...init });
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says what happened
  }
  if (!res.ok) {
    const e = body && body.error;
    throw new APIError(res.status, (e && e.code) || "http_" + res.status, (e && e.message) || res.statusText || "HTTP " + res.status);
  }
  return { status: res.status, body };
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n) {
  if (typeof n !== "number" || !isFinite(n)) return "—";
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? n + " " + units[0] : Number(n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
}

/** A number with thousands separators, or "—". */
export function formatCount(n) {
  return typeof n === "number" && isFinite(n) ? n.toLocaleString("en") : "—";
}

/** An RFC 3339 time as the reader's local date and time, or "—". */
export function formatTime(t) {
  if (!t) return "—";
  const d = new Date(t);
  if (isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return "—";
  return d.toLocaleString();
}

/** Upper-case hex in groups of four: "ABCD 1234 …". */
export function groupHex(hex) {
  return String(hex || "").toUpperCase().replace(/(.{4})(?=.)/g, "$1 ");
}
