// The post viewer (/p/<cid>, and /p/#v1.… for a post carried in the link
// itself). It shows what anyone can see of a post — its size, the key IDs
// its key packets name, shares added later — and decrypts it in the page
// with the Veil client's wasm (wasm_exec.js + veil.wasm, the bridge whose
// API is wasmclient/js/veil.d.ts) and a secret key the visitor pastes.
//
// The key goes into a client whose storage is a Map in this tab: it is
// never stored, and nothing here sends it anywhere. The plaintext is shown
// with textContent, never as HTML. Stable ids for tests: #key-input,
// #passphrase-input, #decrypt-button, #plaintext, #status (data-state is
// "idle", "busy", "ok", "error" or "unavailable").

import { APIError, byId, el, fill, formatBytes, formatTime, getJSON, groupHex, setText, status } from "./common.js";
import { decodeBase64, describe, shareRecipients } from "./packets.js";

/** The endpoints and files this page reads (a Go test checks that the relay serves them). */
export const ENDPOINTS = { blobs: "/v1/blobs/", shares: "/v1/shares/", keys: "/keys" };
export const WASM = "/web/veil.wasm";
export const WASM_EXEC = "/web/wasm_exec.js";

/** How much of a post the page reads for its key packets. */
const PREFIX = 64 * 1024;

const article = byId("post");
const cid = article.dataset.cid;
const hasWasm = article.dataset.wasm === "true";
/** The post carried in the link's fragment (/p/#v1.<base64url>), if that is what this is. */
const inlineBytes = cid ? null : decodeInline(location.hash);
const inline = inlineBytes !== null;
/** The Veil link the client reads: the canonical one for a CID, the address itself for an inline post. */
const link = cid ? location.origin + "/p/" + cid : location.href;

let meta = null; // what describe() found, once known
let veil = null; // the client, once a key was imported (or for a public post)
let persona = null;

// ---- What anyone can see ----

function decodeInline(hash) {
  if (!hash.startsWith("#v1.") || hash.length <= 4) return null;
  try {
    return decodeBase64(hash.slice(4));
  } catch {
    return null;
  }
}

/** The first max bytes of a response body. */
async function readPrefix(res, max) {
  const reader = res.body.getReader();
  const chunks = [];
  let n = 0;
  while (n < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
  }
  reader.cancel().catch(() => {});
  const out = new Uint8Array(Math.min(n, max));
  let off = 0;
  for (const c of chunks) {
    const take = Math.min(c.length, out.length - off);
    out.set(c.subarray(0, take), off);
    off += take;
    if (off === out.length) break;
  }
  return out;
}

/** The post's first bytes and its size, from the relay. */
async function fetchPost() {
  const res = await fetch(ENDPOINTS.blobs + encodeURIComponent(cid), { headers: { Range: "bytes=0-" + (PREFIX - 1) } });
  if (res.status === 404) throw new APIError(404, "not_found", "This relay does not have this post. It may be on another relay, or its link was cut short.");
  if (!res.ok) {
    let msg = "HTTP " + res.status;
    try {
      msg = (await res.json()).error.message;
    } catch {
      // keep the status
    }
    throw new APIError(res.status, "http", msg);
  }
  let size = Number(res.headers.get("Content-Length"));
  const range = /\/(\d+)$/.exec(res.headers.get("Content-Range") || "");
  if (range) size = Number(range[1]);
  return { bytes: await readPrefix(res, PREFIX), size };
}

/** Recipients added later through shares (key packets published for the CID). */
async function fetchShareRecipients() {
  try {
    const { body } = await getJSON(ENDPOINTS.shares + encodeURIComponent(cid));
    const out = [];
    for (const s of (body && body.shares) || []) {
      for (const r of shareRecipients(decodeBase64(s.data || ""))) out.push({ ...r, share: s.index, time: s.time });
    }
    return out;
  } catch {
    return []; // shares are extra: the post's own key packets still show
  }
}

function recipientItem(r) {
  if (r.hidden) return el("li", {}, "a hidden recipient (key ID not shown)");
  const q = r.fingerprint ? "fingerprint=" + r.fingerprint : "keyid=" + r.keyId;
  const item = el("li", {}, el("a", { href: ENDPOINTS.keys + "?" + q, className: "mono", title: "Look this key up" }, groupHex(r.keyId || r.fingerprint)));
  if (r.share !== undefined) item.append(" ", el("small", { className: "muted" }, "added later (share " + r.share + (r.time ? ", " + formatTime(r.time) : "") + ")"));
  return item;
}

function showMeta(d, size, later) {
  meta = d;
  setText("meta-cid", cid || "none: the post is inside the link");
  const kinds = {
    encrypted: "Encrypted OpenPGP message" + (d.data ? " (" + d.data + ")" : ""),
    signed: "Public post: signed, not encrypted",
    unknown: "OpenPGP message",
  };
  setText("meta-kind", kinds[d.kind]);
  setText("meta-size", isFinite(size) && size > 0 ? formatBytes(size) + (size >= 1024 ? " (" + size.toLocaleString("en") + " bytes)" : "") : "");
  let items;
  if (d.kind === "signed") {
    setText("meta-recipients-label", "Signed by");
    items = d.signers
      .filter((s) => s.keyId)
      .map((s) => el("li", {}, el("a", { href: ENDPOINTS.keys + "?" + (s.fingerprint ? "fingerprint=" + s.fingerprint : "keyid=" + s.keyId), className: "mono" }, groupHex(s.keyId))));
  } else {
    items = [...d.recipients, ...later].map(recipientItem);
    if (d.passwords) items.push(el("li", {}, d.passwords === 1 ? "a passphrase" : d.passwords + " passphrases"));
  }
  fill("meta-recipients", items.length ? items : [el("li", {}, "—")]);
  byId("metadata").hidden = false;
  byId("metadata-status").hidden = true;
  if (d.kind === "signed") showPublic();
}

/** A public post needs no key: say so, and read it at once when the client is here. */
function showPublic() {
  setText("post-title", "A public Veil post");
  setText("post-intro", "This post is signed but not encrypted: anyone can read it. The signature says who wrote it and that nobody changed it.");
  const card = byId("decrypt-card");
  if (card) card.hidden = true;
  if (hasWasm) decrypt();
}

async function loadMeta() {
  try {
    if (cid) {
      const [post, later] = await Promise.all([fetchPost(), fetchShareRecipients()]);
      showMeta(describe(post.bytes), post.size, later);
    } else {
      showMeta(describe(inlineBytes), inlineBytes.length, []);
    }
  } catch (e) {
    setText("metadata-status", e instanceof APIError ? e.message : "The post's public parts cannot be read: " + e.message);
    if (e instanceof APIError && e.status === 404) status("error", e.message);
  }
}

// ---- Reading in the page ----

function memoryStorage() {
  const m = new Map();
  return {
    async get(name) {
      return m.has(name) ? m.get(name).slice() : null;
    },
    async set(name, data) {
      m.set(name, new Uint8Array(data));
    },
    async remove(name) {
      m.delete(name);
    },
    async list(prefix) {
      return [...m.keys()].filter((k) => k.startsWith(prefix));
    },
  };
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = el("script", { src });
    s.addEventListener("load", resolve);
    s.addEventListener("error", () => reject(new Error("cannot load " + src)));
    document.head.append(s);
  });
}

let started = null;

/** Starts veil.wasm once; resolves when newVeil is there. */
function startClient() {
  if (!started) {
    started = (async () => {
      if (typeof globalThis.Go !== "function") await loadScript(WASM_EXEC);
      const go = new globalThis.Go();
      const { instance } = await WebAssembly.instantiateStreaming(fetch(WASM), go.importObject);
      go.run(instance).catch(() => {});
      for (let i = 0; i < 200 && typeof globalThis.newVeil !== "function"; i++) await new Promise((r) => setTimeout(r, 25));
      if (typeof globalThis.newVeil !== "function") throw new Error("the Veil client did not start");
    })();
    started.catch(() => {
      started = null;
    });
  }
  return started;
}

function newClient() {
  return globalThis.newVeil({ storage: memoryStorage(), relay: location.origin });
}

/** A message for a rejected call into the client (a VeilError has a code). */
function explain(e) {
  const msgs = {
    "wrong-passphrase": "Wrong passphrase.",
    locked: "The key is protected by a passphrase: enter it.",
    "bad-input": "That is not a secret key the Veil client can read",
    unsupported: "The Veil client does not support this key or post",
    "relay-unreachable": "The relay cannot be reached",
  };
  const base = msgs[e && e.code];
  if (!base) return (e && e.message) || String(e);
  return base.endsWith(".") ? base : base + (e.message ? ": " + e.message : ".");
}

const READ_STATUS = {
  "not-for-you": "This key cannot open the post: it is not one of its recipients.",
  "key-unavailable": "No key that can open this post is available.",
  "relay-unreachable": "The post could not be fetched from the relay.",
  "bad-signature": "The post's signature does not verify: it was changed or is not from its claimed author, so it is not shown.",
  corrupt: "The post is damaged and cannot be read.",
  unsupported: "The post uses a format this client does not read.",
};

function showResult(r) {
  if (r.status !== "ok") {
    byId("plaintext-card").hidden = true;
    // The page's own words for what the visitor can act on; the client's
    // message (a Go error) only for a status the page does not know.
    status("error", READ_STATUS[r.status] || r.message || "The post cannot be read (" + r.status + ").");
    return;
  }
  byId("plaintext").textContent = r.text || "";
  const rows = [];
  const add = (term, ...value) => rows.push(el("dt", {}, term), el("dd", {}, ...value));
  if (r.author) {
    const a = r.author;
    const who = [a.name, groupHex(a.fingerprint)].filter(Boolean).join(" · ");
    const verdict = {
      good: a.verified ? "signature good, key verified" : "signature good (key not verified)",
      "unknown-key": "signed by a key this client does not have",
      bad: "bad signature",
    }[a.status] || a.status;
    add("Author", el("span", { className: "mono" }, who), " ", el("span", { className: "badge", dataset: { state: a.status === "good" ? "ok" : "degraded" } }, verdict));
  }
  if (r.created) add("Written", formatTime(r.created));
  if (r.public) add("Audience", "public (signed, not encrypted)");
  else if (r.audience && r.audience.length) add("Encrypted to", el("ul", { className: "plain mono" }, ...r.audience.map((id) => el("li", {}, groupHex(id)))));
  fill("post-details", rows);
  byId("plaintext-card").hidden = false;
  const checked = r.author && r.author.status === "good";
  if (r.public) status("ok", checked ? "Read in this page; the author's signature is good." : "Read in this page; the author's signature could not be checked (see below).");
  else status("ok", "Decrypted in this page: the plaintext never left it." + (checked ? "" : " The author's signature could not be checked (see below)."));
}

/**
 * Reads a payload; when the author's key is unknown to the client, looks it
 * up in this relay's directory by the fingerprint the post names and reads
 * again, so the signature is checked against it. (The key's fingerprint is
 * what the signature binds; nothing here says who owns the key.)
 */
async function readChecked(client, payload) {
  let r = await client.read(payload);
  const a = r.status === "ok" && r.author;
  if (a && a.status === "unknown-key" && a.fingerprint) {
    try {
      const keys = await client.resolveKeys({ fingerprint: a.fingerprint });
      if (keys.length > 0) {
        await client.addContact(keys[0].armored);
        r = await client.read(payload);
      }
    } catch {
      // not in the directory, or unreachable: the post shows as unchecked
    }
  }
  return r;
}

async function decrypt() {
  const button = byId("decrypt-button");
  const keyInput = byId("key-input");
  const passInput = byId("passphrase-input");
  if (button) button.disabled = true;
  try {
    status("busy", "Starting the Veil client…");
    await startClient();
    const armored = keyInput ? keyInput.value.trim() : "";
    if (armored) {
      if (!armored.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
        status("error", armored.includes("PUBLIC KEY BLOCK")
          ? "That is a public key: reading a post takes the secret key (-----BEGIN PGP PRIVATE KEY BLOCK-----)."
          : "That is not an armored secret key: it begins with -----BEGIN PGP PRIVATE KEY BLOCK-----.");
        return;
      }
      status("busy", "Importing the key…");
      const client = await newClient();
      const info = await client.importPersona(armored, passInput.value || undefined);
      if (info.locked) {
        status("error", "The key is protected by a passphrase: enter it.");
        passInput.focus();
        return;
      }
      veil = client;
      persona = info;
      keyInput.value = "";
      passInput.value = "";
      const ki = byId("key-info");
      ki.textContent = "Using the key of " + [info.name, info.email].filter(Boolean).join(" ") + " (" + groupHex(info.fingerprint) + "), in this tab's memory only.";
      ki.hidden = false;
      byId("forget-button").hidden = false;
    } else if (!veil) {
      if (!meta || meta.kind !== "signed") {
        status("error", "Paste your secret key first.");
        if (keyInput) keyInput.focus();
        return;
      }
      veil = await newClient();
    }
    status("busy", meta && meta.kind === "signed" ? "Checking the signature…" : "Decrypting…");
    const found = await veil.findPayloads(link);
    showResult(await readChecked(veil, found[0] || link));
  } catch (e) {
    status("error", explain(e));
  } finally {
    if (button) button.disabled = false;
  }
}

async function forget() {
  const fpr = persona && persona.fingerprint;
  const client = veil;
  veil = null;
  persona = null;
  if (client && fpr) await client.lock(fpr).catch(() => {});
  byId("plaintext").textContent = "";
  fill("post-details", []);
  byId("plaintext-card").hidden = true;
  byId("key-info").hidden = true;
  byId("forget-button").hidden = true;
  status("idle", "The key is forgotten. Close the tab to clear the client's memory as well.");
}

// ---- Start ----

// Another post in the fragment is another page.
if (!cid) window.addEventListener("hashchange", () => location.reload());

if (cid || inline) {
  const raw = byId("raw-link");
  if (cid) {
    raw.href = ENDPOINTS.blobs + encodeURIComponent(cid);
    raw.download = cid + ".pgp";
  } else {
    raw.href = URL.createObjectURL(new Blob([inlineBytes], { type: "application/octet-stream" }));
    raw.download = "veil-post.pgp";
  }
  setText("cli-command", "veil read '" + link + "'");
  loadMeta();
  if (hasWasm) {
    byId("decrypt-button").addEventListener("click", decrypt);
    byId("forget-button").addEventListener("click", forget);
  } else {
    status("unavailable", "Decryption in this page is not available in this build of the relay.");
  }
} else {
  setText("post-title", "No post in this link");
  setText("post-intro", "A Veil link names a post (/p/<cid>) or carries it after a # (/p/#v1.…). This one does neither: it may have been cut short when it was copied.");
  for (const id of ["how-to-read", "metadata-card", "decrypt-card", "no-wasm"]) {
    const e = byId(id);
    if (e) e.hidden = true;
  }
  status("error", "This link carries no post.");
}
