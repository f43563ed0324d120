// The node's dashboard (/): fills the page from the relay's own endpoints
// and refreshes it every few seconds. /v1/info says what the node is;
// /healthz whether it is well; /metrics (Prometheus text) gives the counts
// that /v1/info does not carry (yet).

import { byId, el, fill, fillList, formatBytes, formatCount, getJSON, setText, status } from "./common.js";

/** The endpoints this page reads (a Go test checks that the relay serves them). */
export const ENDPOINTS = { info: "/v1/info", health: "/healthz", metrics: "/metrics" };

/** The Prometheus metrics this page reads (a Go test checks that the relay exports them). */
export const METRICS = {
  blobs: "veil_storage_blobs",
  blocks: "veil_storage_blocks",
  bytes: "veil_storage_stored_bytes",
  connections: "veil_ws_connections",
  subscriptions: "veil_ws_subscriptions",
  keys: "veil_directory_keys",
  peers: "veil_federation_peers",
};

const REFRESH_MS = 5000;

/** Reads Prometheus text: the sum of each metric's samples, by name. */
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!isFinite(v)) continue;
    out.set(m[1], (out.get(m[1]) || 0) + v);
  }
  return out;
}

async function getMetrics() {
  const res = await fetch(ENDPOINTS.metrics, { headers: { Accept: "text/plain" } });
  if (!res.ok) throw new Error("HTTP " + res.status);
  return parseMetrics(await res.text());
}

async function getHealth() {
  // /healthz answers 503 with a JSON body when degraded: read the body either way.
  const res = await fetch(ENDPOINTS.health, { headers: { Accept: "application/json" } });
  let body = {};
  try {
    body = await res.json();
  } catch {
    // no body: the status code speaks
  }
  return { ok: res.ok, status: body.status || (res.ok ? "ok" : "HTTP " + res.status), reason: body.reason || body.storage || "" };
}

/** The first of the values that is a finite number. */
function num(...vals) {
  for (const v of vals) if (typeof v === "number" && isFinite(v)) return v;
  return undefined;
}

function showHealth(h) {
  const badge = byId("health");
  if (!h) {
    badge.dataset.state = "unknown";
    badge.textContent = "unreachable";
    return;
  }
  badge.dataset.state = h.ok ? "ok" : "degraded";
  badge.textContent = h.status;
  const reason = byId("health-reason");
  reason.textContent = h.reason;
  reason.hidden = !h.reason;
}

function showInfo(info) {
  if (!info) return;
  const name = info.name || "Veil relay";
  setText("node-name", name);
  document.title = name + " · Veil";
  setText("name", info.name);
  setText("version", [info.software, info.version].filter(Boolean).join(" "));
  setText("url", info.url);
  setText("protocols", (info.protocols || []).join(", "));
  setText("peer-id", info.peer_id || "not in the relay network (no libp2p)");
  fillList("addrs", info.addrs);
  const lim = info.limits || {};
  setText("limit-blob", lim.max_blob_size ? formatBytes(lim.max_blob_size) : "");
  setText("limit-quota-anon", lim.quota_anonymous ? formatBytes(lim.quota_anonymous) : "");
  setText("limit-quota-persona", lim.quota_persona ? formatBytes(lim.quota_persona) : "");
  setText("limit-subs", lim.max_subscriptions ? formatCount(lim.max_subscriptions) : "");
  showStake(info.stake);
}

/**
 * Stake (added to /v1/info by the staking registry): absent until then.
 * Shown as it comes, a value or an object of values.
 */
function showStake(stake) {
  const card = byId("stake-card");
  if (stake === undefined || stake === null) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  const rows = [];
  if (typeof stake === "object" && !Array.isArray(stake)) {
    for (const [k, v] of Object.entries(stake)) {
      rows.push(el("dt", {}, k.replace(/_/g, " ")), el("dd", { className: "mono" }, typeof v === "object" ? JSON.stringify(v) : String(v)));
    }
  } else {
    rows.push(el("dt", {}, "Stake"), el("dd", { className: "mono" }, typeof stake === "object" ? JSON.stringify(stake) : String(stake)));
  }
  fill("stake", rows);
}

/** Counts: from /v1/info when it carries them, else from /metrics. */
function showCounts(info, metrics) {
  info = info || {};
  const m = (name) => (metrics ? metrics.get(name) : undefined);
  const st = info.storage || {};
  setText("storage-blobs", formatCount(num(st.blobs, m(METRICS.blobs))));
  setText("storage-blocks", formatCount(num(st.blocks, m(METRICS.blocks))));
  const bytes = num(st.bytes, st.stored_bytes, m(METRICS.bytes));
  setText("storage-bytes", bytes === undefined ? "" : formatBytes(bytes));
  setText("directory-keys", formatCount(num(info.keys, m(METRICS.keys))));

  const conns = info.connections;
  const ws = typeof conns === "object" && conns !== null ? conns : { websocket: conns };
  setText("connections", formatCount(num(ws.websocket, ws.websockets, m(METRICS.connections))));
  setText("subscriptions", formatCount(num(ws.subscriptions, m(METRICS.subscriptions))));

  const peers = Array.isArray(info.peers) ? info.peers : [];
  const peerCount = num(Array.isArray(info.peers) ? info.peers.length : info.peers, m(METRICS.peers));
  setText("peer-count", peerCount === undefined ? (info.peer_id ? "" : "0 (not federated)") : formatCount(peerCount));
  fillList("peers", peers, (p) => (typeof p === "object" && p !== null ? p.id || p.peer_id || JSON.stringify(p) : p));
}

let timer = 0;
let running = false;

async function refresh() {
  if (running) return;
  running = true;
  clearTimeout(timer);
  try {
    const [info, health, metrics] = await Promise.allSettled([getJSON(ENDPOINTS.info), getHealth(), getMetrics()]);
    const i = info.status === "fulfilled" ? info.value.body : null;
    showInfo(i);
    showHealth(health.status === "fulfilled" ? health.value : null);
    showCounts(i, metrics.status === "fulfilled" ? metrics.value : null);
    const failed = [info, health, metrics].filter((r) => r.status === "rejected");
    if (failed.length === 3) status("error", "Cannot reach the relay: " + failed[0].reason.message);
    else if (failed.length) status("error", "Part of the node's status is missing: " + failed.map((r) => r.reason.message).join("; "));
    else status("ok", "");
    setText("updated", new Date().toLocaleTimeString());
  } finally {
    running = false;
    // A hidden tab stops polling; it refreshes when it is shown again.
    if (!document.hidden) timer = setTimeout(refresh, REFRESH_MS);
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clearTimeout(timer);
  else refresh();
});
refresh();
