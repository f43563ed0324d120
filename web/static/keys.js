// The key lookup page (/keys): asks the relay's directory (/v1/keys) for
// keys by handle, email, fingerprint or key ID, and shows what each key
// says about itself. Key records are untrusted: every string is shown as
// text.
//
// The page's own address holds the query, so a lookup can be linked:
// /keys?handle=twitter:alice, ?email=…, ?fingerprint=…, ?keyid=… (the
// API's parameters), or ?by=handle&site=twitter&q=alice (the form's).

import { APIError, byId, el, fill, formatTime, getJSON, groupHex, status } from "./common.js";

/** The directory endpoint this page reads. */
export const ENDPOINTS = { keys: "/v1/keys", vks: "/vks/v1/by-fingerprint/" };

const LABELS = { handle: "Handle", email: "Email", fingerprint: "Fingerprint", keyid: "Key ID" };
const PLACEHOLDERS = { handle: "alice", email: "alice@example.org", fingerprint: "40 or 64 hex digits", keyid: "16 hex digits" };
const SITES = { twitter: "Twitter / X", facebook: "Facebook" };

// OpenPGP public-key algorithm IDs (RFC 9580, 9.1).
const ALGORITHMS = {
  1: "RSA", 2: "RSA", 3: "RSA", 16: "ElGamal", 17: "DSA", 18: "ECDH", 19: "ECDSA", 22: "EdDSA (legacy)",
  25: "X25519", 26: "X448", 27: "Ed25519", 28: "Ed448",
};

const form = byId("lookup-form");
const siteInput = byId("site-input");
const queryInput = byId("query-input");

function mode() {
  return form.elements.by.value || "handle";
}

function showMode() {
  const by = mode();
  byId("site-label").hidden = by !== "handle";
  byId("query-label").textContent = LABELS[by];
  queryInput.placeholder = PLACEHOLDERS[by];
  queryInput.type = by === "email" ? "email" : "text";
}

/** The API query for the form's fields: ["handle", "twitter:alice"]. */
function formQuery() {
  const by = mode();
  let q = queryInput.value.trim();
  if (by === "handle") q = siteInput.value + ":" + q.replace(/^@/, "");
  if (by === "fingerprint" || by === "keyid") q = q.replace(/\s+/g, "").replace(/^0x/i, "");
  return [by, q];
}

/** The query in the page's address, or null; fills the form from it. */
function addressQuery() {
  const p = new URLSearchParams(location.search);
  for (const by of ["handle", "email", "fingerprint", "keyid"]) {
    const v = p.get(by);
    if (v) {
      setForm(by, v);
      return [by, v];
    }
  }
  const by = p.get("by");
  if (by in LABELS && p.get("q")) {
    let v = p.get("q");
    if (by === "handle") v = (p.get("site") || "twitter") + ":" + v.replace(/^@/, "");
    setForm(by, v);
    return formQuery();
  }
  return null;
}

function setForm(by, v) {
  form.elements.by.value = by;
  if (by === "handle") {
    const i = v.indexOf(":");
    if (i > 0 && v.slice(0, i) in SITES) {
      siteInput.value = v.slice(0, i);
      v = v.slice(i + 1);
    }
  }
  queryInput.value = v;
  showMode();
}

async function lookup([by, q]) {
  status("busy", "Looking up…");
  fill("results", []);
  try {
    const { body } = await getJSON(ENDPOINTS.keys + "?" + new URLSearchParams({ [by]: q }));
    const keys = (body && body.keys) || [];
    if (keys.length === 0) {
      status("idle", "No key on this relay matches " + LABELS[by].toLowerCase() + " " + q + ".");
      return;
    }
    status("ok", keys.length === 1 ? "One key found." : keys.length + " keys found.");
    fill("results", keys.map(renderKey));
  } catch (e) {
    status("error", e instanceof APIError ? "The relay says: " + e.message : "Cannot reach the relay: " + e.message);
  }
}

function list(items, render) {
  if (!items || items.length === 0) return "—";
  return el("ul", { className: "plain" }, ...items.map((x) => el("li", {}, render ? render(x) : x)));
}

function row(term, value, className) {
  return [el("dt", {}, term), el("dd", className ? { className } : {}, value)];
}

/** One key record as a card. */
export function renderKey(k) {
  const fpr = String(k.fingerprint || "").toUpperCase();
  const title = (k.user_ids && k.user_ids[0]) || fpr;
  const flags = [];
  if (k.revoked) flags.push(el("span", { className: "badge", dataset: { state: "degraded" } }, "revoked"));
  if (k.expires && new Date(k.expires) < new Date()) flags.push(el("span", { className: "badge", dataset: { state: "degraded" } }, "expired"));
  const algo = (ALGORITHMS[k.algorithm] || "algorithm " + k.algorithm) + (k.bits ? " " + k.bits : "");
  const handles = (k.claims || []).map((c) => (SITES[c.site] || c.site) + ": " + c.handle);
  const download = el("a", { href: ENDPOINTS.vks + encodeURIComponent(fpr), download: fpr + ".asc", className: "button" }, "Download the public key");
  const armored = el("details", {}, el("summary", {}, "Armored key"), el("pre", { className: "armored" }, k.armored || ""));
  return el(
    "article",
    { className: "card key", dataset: { fingerprint: fpr } },
    el("h2", {}, title, " ", ...flags),
    el(
      "dl",
      {},
      ...row("Fingerprint", groupHex(fpr), "mono fingerprint"),
      ...row("Key IDs", list((k.key_ids || []).map((id) => String(id).toUpperCase())), "mono"),
      ...row("Names (user IDs)", list(k.user_ids)),
      ...row("Emails", k.emails && k.emails.length ? el("span", {}, list(k.emails), el("small", { className: "muted" }, "not verified by the relay")) : "—"),
      ...row("Handles", handles.length ? el("span", {}, list(handles), el("small", { className: "muted" }, "claimed; a profile proves a claim with openpgp4fpr:" + fpr)) : "—"),
      ...row("Algorithm", algo),
      ...row("Created", formatTime(k.created)),
      ...row("Expires", k.expires ? formatTime(k.expires) : "never"),
      ...row("Published here", formatTime(k.added)),
      ...row("Updated", formatTime(k.updated)),
    ),
    el("p", {}, download),
    armored,
  );
}

form.addEventListener("change", (ev) => {
  if (ev.target.name === "by") showMode();
});
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const [by, q] = formQuery();
  if (!queryInput.value.trim()) return;
  history.pushState(null, "", "/keys?" + new URLSearchParams({ [by]: q }));
  lookup([by, q]);
});
window.addEventListener("popstate", () => {
  const q = addressQuery();
  if (q) lookup(q);
  else fill("results", []);
});

showMode();
const initial = addressQuery();
if (initial) lookup(initial);
