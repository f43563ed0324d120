// Veil's service worker: it runs the client core (veil.wasm, Go compiled for
// GOOS=js) and answers the requests of the content scripts, the popup, the
// composer and the post frames.
//
// Why the service worker and not an offscreen document: Chromium runs Go's
// wasm in an MV3 service worker (the extension pages' CSP allows
// 'wasm-unsafe-eval', and importScripts, fetch, crypto.getRandomValues and
// timers are all there), and only the worker has chrome.storage, which holds
// the personas. An offscreen document would have to ask the worker for every
// storage read. The worker may be stopped when idle; it then starts the wasm
// again on the next request (0.4 s for the 15 MB veil.wasm in headless
// Chromium, fetch to newVeil), and personas unlocked in this
// browser session are unlocked again from chrome.storage.session (memory
// only, readable by the extension's own pages and worker, never by content
// scripts).
//
// Who may ask what: content scripts live in the sites' pages, so they get
// only what is public anyway (payloads found in text, profile proofs, the
// composer's feed text). Plaintext, keys, backups and settings go only to the
// extension's own pages (chrome-extension: URLs), which the page cannot read.
"use strict";

importScripts("wasm_exec.js");

const DEFAULT_RELAY = "http://127.0.0.1:8080";
// VeilStorage names live under this prefix in chrome.storage.local.
const STORE_PREFIX = "veil/";
const SETTINGS_KEY = "settings";
// Passphrases of personas unlocked in this session, in chrome.storage.session.
const UNLOCK_PREFIX = "unlock/";
// … and of wallets.
const WALLET_UNLOCK_PREFIX = "wallet-unlock/";
// How long a read may take before the post frame says the relay is unreachable.
const READ_TIMEOUT_MS = 20000;

// ---- VeilStorage over chrome.storage.local ----

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const storage = {
  async get(name) {
    const key = STORE_PREFIX + name;
    const got = await chrome.storage.local.get(key);
    return typeof got[key] === "string" ? fromBase64(got[key]) : null;
  },
  async set(name, data) {
    await chrome.storage.local.set({ [STORE_PREFIX + name]: toBase64(new Uint8Array(data)) });
  },
  async remove(name) {
    await chrome.storage.local.remove(STORE_PREFIX + name);
  },
  async list(prefix) {
    const keys = chrome.storage.local.getKeys
      ? await chrome.storage.local.getKeys()
      : Object.keys(await chrome.storage.local.get(null));
    const want = STORE_PREFIX + prefix;
    return keys.filter((k) => k.startsWith(want)).map((k) => k.slice(STORE_PREFIX.length));
  },
};

// ---- Settings ----

async function settings() {
  const got = await chrome.storage.local.get(SETTINGS_KEY);
  return Object.assign({ relay: DEFAULT_RELAY }, got[SETTINGS_KEY] || {});
}

function normalizeRelay(url) {
  let u;
  try {
    u = new URL(String(url).trim());
  } catch {
    throw veilError("bad-input", "the relay must be a URL such as https://relay.example");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw veilError("bad-input", "the relay must be an http or https URL");
  }
  return u.origin + u.pathname.replace(/\/+$/, "");
}

// ---- The client core ----

// state is what the worker tells about itself (status requests, tests).
const state = { wasm: "stopped", relay: "", error: "" };
self.veilState = state;

let wasmStarted = null; // Promise: veil.wasm instantiated and running
let veilPromise = null; // Promise<Veil> for the current relay

function startWasm() {
  if (!wasmStarted) {
    wasmStarted = (async () => {
      state.wasm = "starting";
      const go = new Go();
      const url = chrome.runtime.getURL("veil.wasm");
      const { instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
      go.run(instance).finally(() => {
        // The Go program ended (it should not): start it again next time.
        state.wasm = "exited";
        wasmStarted = null;
        veilPromise = null;
      });
      if (typeof globalThis.newVeil !== "function") {
        throw new Error("veil.wasm did not define newVeil");
      }
      state.wasm = "running";
    })().catch((e) => {
      wasmStarted = null;
      state.wasm = "failed";
      state.error = String((e && e.message) || e);
      throw e;
    });
  }
  return wasmStarted;
}

function veil() {
  if (!veilPromise) {
    veilPromise = (async () => {
      await startWasm();
      const { relay } = await settings();
      const v = await globalThis.newVeil({ storage, relay });
      state.relay = relay;
      await unlockAgain(v);
      return v;
    })().catch((e) => {
      veilPromise = null;
      state.error = String((e && e.message) || e);
      throw e;
    });
  }
  return veilPromise;
}

// unlockAgain unlocks the personas unlocked earlier in this browser session,
// after the worker was stopped and started again.
async function unlockAgain(v) {
  const all = await chrome.storage.session.get(null);
  for (const [key, passphrase] of Object.entries(all)) {
    try {
      if (key.startsWith(UNLOCK_PREFIX)) await v.unlock(key.slice(UNLOCK_PREFIX.length), passphrase);
      else if (key.startsWith(WALLET_UNLOCK_PREFIX)) await v.walletUnlock(key.slice(WALLET_UNLOCK_PREFIX.length), passphrase);
    } catch {
      await chrome.storage.session.remove(key);
    }
  }
}

// ---- Amounts: decimal strings of whole units ↔ strings of 10^-18 units ----

function parseUnits(s) {
  const m = /^([0-9]+)(?:\.([0-9]{1,18}))?$/.exec(String(s || "").trim());
  if (!m) throw veilError("bad-input", "an amount is a decimal number such as 0.01");
  const wei = BigInt(m[1]) * 10n ** 18n + BigInt((m[2] || "").padEnd(18, "0"));
  if (wei === 0n) throw veilError("bad-input", "the amount must be more than zero");
  return wei.toString();
}

function formatUnits(wei) {
  if (wei === undefined || wei === null || wei === "") return "0";
  const n = BigInt(wei);
  const whole = n / 10n ** 18n;
  const frac = (n % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? whole + "." + frac : String(whole);
}

chrome.storage.session.setAccessLevel?.({ accessLevel: "TRUSTED_CONTEXTS" });

// ---- Requests ----

function veilError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

function withTimeout(promise, ms, onTimeout) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        try {
          resolve(onTimeout());
        } catch (e) {
          reject(e);
        }
      }, ms);
    }),
  ]);
}

// handleOf returns the site handle a request names, or undefined.
function handleOf(args) {
  if (args && typeof args.site === "string" && typeof args.handle === "string" && args.handle) {
    return { site: args.site, handle: args.handle.replace(/^@/, "") };
  }
  return undefined;
}

function sameHandle(a, b) {
  return a.site === b.site && a.handle.toLowerCase() === b.handle.toLowerCase();
}

// ---- Naming a post's audience ----
//
// A post names its readers by the key IDs of their encryption subkeys
// (ReadResult.audience); personas and contacts are known by the fingerprints
// of their primary keys. keyIDs reads the key IDs of every key in an armored
// public key (RFC 9580 5.5.4: v4, the last 8 octets of the SHA-1
// fingerprint; v6, the first 8 of the SHA-256 one).

function dearmor(armored) {
  const lines = String(armored).split(/\r?\n/);
  let i = lines.findIndex((l) => l.startsWith("-----BEGIN PGP"));
  if (i < 0) return new Uint8Array();
  // Armor headers ("Key: value") end at the first blank line.
  for (i++; i < lines.length && lines[i].trim() !== ""; i++) {
    if (!/^[\x21-\x7e]+: /.test(lines[i])) {
      i--;
      break;
    }
  }
  let b64 = "";
  for (i++; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l.startsWith("=") || l.startsWith("-----END")) break;
    b64 += l;
  }
  return fromBase64(b64);
}

// packets yields the OpenPGP packets of a key: {tag, body}.
function* packets(b) {
  let i = 0;
  const u32 = (j) => ((b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3]) >>> 0;
  while (i < b.length) {
    const h = b[i++];
    if (!(h & 0x80)) return;
    let tag, len;
    if (h & 0x40) {
      tag = h & 0x3f;
      const o = b[i++];
      if (o < 192) len = o;
      else if (o < 224) len = ((o - 192) << 8) + b[i++] + 192;
      else if (o === 255) {
        len = u32(i);
        i += 4;
      } else return; // partial lengths are not used in keys
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 0) len = b[i++];
      else if (lt === 1) {
        len = (b[i] << 8) | b[i + 1];
        i += 2;
      } else if (lt === 2) {
        len = u32(i);
        i += 4;
      } else return;
    }
    yield { tag, body: b.subarray(i, i + len) };
    i += len;
  }
}

const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("").toUpperCase();

async function keyIDs(armored) {
  const ids = [];
  for (const p of packets(dearmor(armored))) {
    if (p.tag !== 6 && p.tag !== 14) continue; // public key, public subkey
    const n = p.body.length;
    if (p.body[0] === 4) {
      const data = new Uint8Array(3 + n);
      data.set([0x99, n >> 8, n & 255]);
      data.set(p.body, 3);
      ids.push(hex(new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(12)));
    } else if (p.body[0] === 6) {
      const data = new Uint8Array(5 + n);
      data.set([0x9b, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
      data.set(p.body, 5);
      ids.push(hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)).slice(0, 8)));
    }
  }
  return ids;
}

const keyIDCache = new Map(); // fingerprint -> key IDs

async function keyIDsOf(v, fingerprint) {
  if (!keyIDCache.has(fingerprint)) {
    try {
      keyIDCache.set(fingerprint, await keyIDs(await v.exportPublicKey(fingerprint)));
    } catch {
      return [];
    }
  }
  return keyIDCache.get(fingerprint);
}

// people lists the personas and contacts with their key IDs.
async function people(v) {
  const [personas, contacts] = await Promise.all([v.listPersonas(), v.listContacts()]);
  const all = [];
  for (const p of personas) all.push({ fingerprint: p.fingerprint, name: p.name, you: true });
  for (const c of contacts) all.push({ fingerprint: c.fingerprint, name: c.name });
  for (const p of all) p.ids = await keyIDsOf(v, p.fingerprint);
  return all;
}

function describeAudience(ids, known) {
  return (ids || []).map((id) => {
    const up = String(id).toUpperCase();
    const who = known.find((p) => p.ids.includes(up) || p.fingerprint === up);
    return who ? { id: up, name: who.name, you: !!who.you, fingerprint: who.fingerprint } : { id: up };
  });
}

// learnAuthor adds the key with fingerprint to the contacts when the relay
// has it and it claims the account that posted it.
async function learnAuthor(v, fingerprint, seen) {
  let keys;
  try {
    keys = await withTimeout(v.resolveKeys({ fingerprint }), 5000, () => []);
  } catch {
    return false;
  }
  const key = (keys || []).find((k) => k.fingerprint === fingerprint);
  if (!key || !(key.handles || []).some((h) => sameHandle(h, seen))) return false;
  try {
    await v.addContact(key.armored, seen);
  } catch {
    return false;
  }
  return true;
}

// sendToTab tells the content script of the tab a frame lives in.
function sendToTab(sender, message) {
  if (!sender.tab || sender.tab.id === undefined) return Promise.resolve();
  return chrome.tabs.sendMessage(sender.tab.id, message, { frameId: 0 });
}

// Handlers that content scripts may call: nothing here returns plaintext,
// secret keys or settings.
const pageHandlers = {
  async status() {
    await veil();
    return { ready: true };
  },

  async findPayloads({ text }) {
    if (typeof text !== "string") throw veilError("bad-input", "text must be a string");
    return (await veil()).findPayloads(text);
  },

  // checkProfile reads a profile's bio for openpgp4fpr: proofs. A key that
  // claims the profile's handle (its proof@ariadne.id notation) and that the
  // bio names is verified both ways: it becomes (or stays) a contact with
  // that handle, marked verified.
  async checkProfile(args) {
    const handle = handleOf(args);
    const bio = String(args.bio || "");
    if (!handle) throw veilError("bad-input", "a profile needs a site and a handle");
    const v = await veil();
    const fprs = [...new Set([...bio.matchAll(/openpgp4fpr:\s*([0-9a-fA-F]{40}|[0-9a-fA-F]{64})/g)].map((m) => m[1].toUpperCase()))];
    const out = [];
    for (const fingerprint of fprs) {
      out.push(await checkOneProof(v, bio, fingerprint, handle));
    }
    return { handle, proofs: out };
  },
};

async function checkOneProof(v, bio, fingerprint, handle) {
  let contact = (await v.listContacts()).find((c) => c.fingerprint === fingerprint);
  if (!contact) {
    let keys;
    try {
      keys = await withTimeout(v.resolveKeys({ fingerprint }), READ_TIMEOUT_MS, () => {
        throw veilError("relay-unreachable", "the relay did not answer");
      });
    } catch (e) {
      return { fingerprint, status: e.code === "relay-unreachable" ? "relay-unreachable" : "key-unavailable", message: e.message };
    }
    const key = (keys || []).find((k) => k.fingerprint === fingerprint);
    if (!key) return { fingerprint, status: "key-unavailable", message: "no relay knows this key" };
    if (!(key.handles || []).some((h) => sameHandle(h, handle))) {
      return { fingerprint, name: key.name, status: "mismatch", message: "the key does not claim this account" };
    }
    contact = await v.addContact(key.armored, handle);
  }
  const ok = await v.checkProof(bio, fingerprint, handle);
  return { fingerprint, name: contact.name, status: ok ? "verified" : "unverified" };
}

// Handlers for the extension's own pages only.
const extensionHandlers = {
  async status() {
    const s = await settings();
    let personas = [];
    try {
      personas = await (await veil()).listPersonas();
    } catch (e) {
      return { ready: false, wasm: state.wasm, relay: s.relay, error: String(e.message || e) };
    }
    return { ready: true, wasm: state.wasm, relay: s.relay, personas: personas.length };
  },

  async getSettings() {
    return settings();
  },

  async setSettings({ relay }) {
    const s = await settings();
    if (relay !== undefined) s.relay = normalizeRelay(relay);
    await chrome.storage.local.set({ [SETTINGS_KEY]: s });
    veilPromise = null; // the next request uses the new relay
    await veil();
    return s;
  },

  // Posts

  // read opens a post. When the post is signed by a key Veil does not know
  // and the site shows who posted it, the key is looked up on the relay;
  // if it claims that account, it is remembered as a contact (not verified:
  // that takes the proof on the profile) and the post is read again.
  async read(args) {
    const { payload } = args;
    if (typeof payload !== "string" || !payload) throw veilError("bad-input", "no payload");
    const v = await veil();
    const started = Date.now();
    const readOnce = (ms) =>
      withTimeout(v.read(payload), ms, () => ({
        status: "relay-unreachable",
        message: "The relay did not answer within " + Math.round(ms / 1000) + " seconds.",
      }));
    let result;
    try {
      result = await readOnce(READ_TIMEOUT_MS);
      const seen = handleOf(args);
      if (result.status === "ok" && result.author && result.author.status === "unknown-key" && seen) {
        if (await learnAuthor(v, result.author.fingerprint, seen)) {
          result = await readOnce(Math.max(2000, READ_TIMEOUT_MS - (Date.now() - started)));
          if (result.author) result.author.learnedFrom = seen;
        }
      }
    } catch (e) {
      if (e && e.code === "locked") {
        return { status: "locked", message: "Unlock your persona in Veil's toolbar popup to read this post." };
      }
      throw e;
    }
    const known = await people(v);
    result.audienceNames = describeAudience(result.audience, known);
    if (result.author) {
      result.mine = known.some((p) => p.you && p.fingerprint === result.author.fingerprint);
    }
    return result;
  },

  async compose(args, sender) {
    const v = await veil();
    const req = {
      author: args.author,
      text: String(args.text || ""),
      audience: args.audience,
      to: args.to || [],
      hidden: !!args.hidden,
      inline: !!args.inline,
    };
    const h = handleOf(args);
    if (h) Object.assign(req, h);
    const result = await v.compose(req);
    if (args.insert) {
      await sendToTab(sender, { veilInsert: result.feedText });
    }
    return result;
  },

  async closeComposer(_args, sender) {
    await sendToTab(sender, { veilClose: true });
    return true;
  },

  async addRecipients({ cid, author, to }) {
    return (await veil()).addRecipients(cid, author, to || []);
  },

  // Wallet and tips (docs/CHAIN.md). The wallet's key stays in the wasm's
  // storage; the post frames ask only for what a tip needs.

  async walletStatus() {
    const v = await veil();
    const [chain, accounts] = await Promise.all([v.chainConfig(), v.walletList()]);
    return { chain, accounts };
  },

  async setChain({ chain }) {
    if (!chain || typeof chain !== "object") throw veilError("bad-input", "the chain settings must be a JSON object");
    const { chainId, rpc, contracts } = chain;
    return (await veil()).setChainConfig({ chainId, rpc, contracts });
  },

  async walletImport({ privateKey, passphrase }) {
    const w = await (await veil()).walletImport(String(privateKey || ""), passphrase ? String(passphrase) : undefined);
    if (passphrase) await chrome.storage.session.set({ [WALLET_UNLOCK_PREFIX + w.address]: String(passphrase) });
    return w;
  },

  async walletCreate({ passphrase }) {
    const w = await (await veil()).walletCreate(passphrase ? String(passphrase) : undefined);
    if (passphrase) await chrome.storage.session.set({ [WALLET_UNLOCK_PREFIX + w.address]: String(passphrase) });
    return w;
  },

  async bindWallet({ fingerprint }) {
    const v = await veil();
    const accounts = await v.walletList();
    if (!accounts.length) throw veilError("bad-input", "import or create an account first (Wallet and tips)");
    const chain = await v.chainConfig();
    if (!chain) throw veilError("bad-input", "set the chain first (Wallet and tips)");
    const passphrase = (await chrome.storage.session.get(UNLOCK_PREFIX + fingerprint))[UNLOCK_PREFIX + fingerprint];
    return v.bindWallet(fingerprint, chain.chainId, accounts[0].address, passphrase);
  },

  // tipInfo says whether a post's author can be tipped (a two-way bound
  // account on the configured chain), what the post received so far, and
  // who can pay: Veil's own wallets and the page's (content/pagewallet.js).
  async tipInfo({ cid, author }, sender) {
    const v = await veil();
    const chain = await v.chainConfig();
    if (!chain) throw veilError("no-chain", "no chain is set: tips are off");
    const [binding, total, accounts, pageWallets] = await Promise.all([
      v.walletBindingStatus(author),
      withTimeout(v.tipTotal(cid), READ_TIMEOUT_MS, () => null).catch(() => null),
      v.walletList(),
      askPage(sender, { op: "list" }).catch(() => []),
    ]);
    const signers = accounts.map((a) => ({ id: "veil:" + a.address, label: "Veil wallet " + shortAddress(a.address) }));
    // The page can answer anything here: short plain names, marked as the page's.
    for (const w of (Array.isArray(pageWallets) ? pageWallets : []).slice(0, 10)) {
      const uuid = String((w && w.uuid) || "").slice(0, 64);
      const name = String((w && w.name) || "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim().slice(0, 40) || "Wallet";
      if (uuid) signers.push({ id: "page:" + uuid, label: name + " (this page's wallet)" });
    }
    return {
      bound: !!binding.twoWay,
      account: binding.account ? binding.account.split(":").pop() : "",
      signers,
      total: total && { native: formatUnits(total.native), token: total.token && formatUnits(total.token), count: total.count },
      tokenAvailable: !!(chain.contracts && chain.contracts.token),
      nativeSymbol: chain.chainId === 1337 ? "ETH (dev)" : "ETH",
      tokenSymbol: "VEIL",
    };
  },

  // tip sends a tip: signed here with one of Veil's wallets ("veil:<address>",
  // the only one when signer is left out), or by the page's wallet
  // ("page:<uuid>") through EIP-1193, with the transactions tipCalls plans.
  async tip({ cid, author, amount, token, signer }, sender) {
    const v = await veil();
    const chain = await v.chainConfig();
    if (!chain) throw veilError("no-chain", "no chain is set: tips are off");
    const wei = parseUnits(amount);
    const tokenAddr = token ? chain.contracts.token : undefined;
    const id = String(signer || "");
    if (!id.startsWith("page:")) {
      const r = await v.tip(cid, author, wei, tokenAddr, id.startsWith("veil:") ? id.slice(5) : undefined);
      return { hash: r.txHash, approveHash: r.approveTxHash, account: r.account };
    }
    return tipWithPageWallet(v, chain, sender, id.slice(5), { cid, author, wei, tokenAddr });
  },

  async tipStatus({ hash, expect }) {
    const st = await (await veil()).tipStatus(String(hash || ""), expect && typeof expect === "object" ? expect : undefined);
    return { status: st.status, block: st.blockNumber, message: st.message };
  },

  // Personas

  async personas() {
    const v = await veil();
    const personas = await v.listPersonas();
    for (const p of personas) {
      try {
        const b = await v.walletBindingStatus(p.fingerprint);
        if (b.account) p.wallet = b.account.split(":").pop();
      } catch {}
    }
    return personas;
  },

  async createPersona(args) {
    const req = { name: String(args.name || "").trim() };
    if (!req.name) throw veilError("bad-input", "a persona needs a name");
    if (args.email) req.email = String(args.email).trim();
    if (args.passphrase) req.passphrase = String(args.passphrase);
    if (args.profile) req.profile = args.profile;
    req.handles = (args.handles || [])
      .filter((h) => h && h.site && h.handle)
      .map((h) => ({ site: h.site, handle: String(h.handle).replace(/^@/, "") }));
    const v = await veil();
    const p = await v.createPersona(req);
    // A persona made with a passphrase is unlocked for this session.
    if (req.passphrase) await chrome.storage.session.set({ [UNLOCK_PREFIX + p.fingerprint]: req.passphrase });
    if (args.publish) await v.publishKey(p.fingerprint);
    return p;
  },

  async unlock({ fingerprint, passphrase }) {
    await (await veil()).unlock(fingerprint, passphrase);
    await chrome.storage.session.set({ [UNLOCK_PREFIX + fingerprint]: passphrase });
    return true;
  },

  async lock({ fingerprint }) {
    await chrome.storage.session.remove(UNLOCK_PREFIX + fingerprint);
    await (await veil()).lock(fingerprint);
    return true;
  },

  async exportPublicKey({ fingerprint }) {
    return (await veil()).exportPublicKey(fingerprint);
  },

  async publishKey({ fingerprint }) {
    await (await veil()).publishKey(fingerprint);
    return true;
  },

  async backup({ passphrase }) {
    if (!passphrase) throw veilError("bad-input", "a backup needs a passphrase");
    return toBase64(await (await veil()).backup(passphrase));
  },

  async restore({ data, passphrase }) {
    return (await veil()).restore(fromBase64(data), passphrase);
  },

  // Contacts

  async contacts() {
    return (await veil()).listContacts();
  },

  async addContact({ armored, site, handle }) {
    return (await veil()).addContact(String(armored || ""), handleOf({ site, handle }));
  },

  async removeContact({ fingerprint }) {
    await (await veil()).removeContact(fingerprint);
    return true;
  },

  async resolveKeys({ query }) {
    const q = {};
    if (query && query.handle) q.handle = handleOf(query.handle);
    else if (query && query.email) q.email = String(query.email);
    else if (query && query.fingerprint) q.fingerprint = String(query.fingerprint).replace(/\s+/g, "").toUpperCase();
    else throw veilError("bad-input", "look a key up by a handle, an email or a fingerprint");
    return withTimeout((await veil()).resolveKeys(q), READ_TIMEOUT_MS, () => {
      throw veilError("relay-unreachable", "the relay did not answer");
    });
  },
};

// ---- The page's wallet (content/pagewallet.js, content/walletbridge.js) ----

// askPage asks the page-wallet bridge of the tab a post frame lives in.
async function askPage(sender, req) {
  if (!sender || !sender.tab || sender.tab.id === undefined) throw veilError("no-page-wallet", "not in a page");
  let reply;
  try {
    reply = await chrome.tabs.sendMessage(sender.tab.id, { veilPageWallet: req }, { frameId: 0 });
  } catch {
    // The page was reloaded or left since the card opened.
    throw veilError("no-page-wallet", "the page's wallet cannot be reached: reload the page");
  }
  if (!reply) throw veilError("no-page-wallet", "the page did not answer");
  if (reply.error) {
    const e = reply.error;
    if (e.code === 4001) throw veilError("rejected", "the tip was declined in the wallet");
    throw veilError("wallet-error", "the page's wallet: " + e.message + (e.code ? " (" + e.code + ")" : ""));
  }
  return reply.result;
}

// tipWithPageWallet has the page's wallet uuid send a tip: its account,
// its chain (switched to the configured one when it can), then each call
// of the plan, waiting for an approval to be mined before the tip.
async function tipWithPageWallet(v, chain, sender, uuid, { cid, author, wei, tokenAddr }) {
  const ask = (method, params) => askPage(sender, { op: "request", uuid, method, params });
  const accounts = await ask("eth_requestAccounts");
  const from = Array.isArray(accounts) && typeof accounts[0] === "string" ? accounts[0] : "";
  if (!from) throw veilError("wallet-error", "the page's wallet gave no account");
  const want = "0x" + chain.chainId.toString(16);
  const on = async () => parseInt(String(await ask("eth_chainId")), 16) === chain.chainId;
  if (!(await on())) {
    await ask("wallet_switchEthereumChain", [{ chainId: want }]).catch(() => {});
    if (!(await on())) throw veilError("wrong-chain", "switch the page's wallet to chain " + chain.chainId + ", where Veil's tips go");
  }
  const plan = await v.tipCalls(cid, author, wei, tokenAddr, from);
  let approveHash;
  for (const call of plan.calls) {
    const hash = String(await ask("eth_sendTransaction", [call.params]));
    if (call.kind === "tip") return { hash, approveHash, account: plan.account, expect: call.params };
    approveHash = hash;
    // The tip spends the allowance: it goes once the approval is mined.
    for (let i = 0; ; i++) {
      const st = await v.tipStatus(hash, call.params);
      if (st.status === "confirmed") break;
      if (st.status === "failed") throw veilError("chain-error", "the approval failed: " + (st.message || hash));
      if (i >= 240) throw veilError("chain-error", "the approval " + hash + " was not mined in two minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw veilError("internal", "the plan had no tip");
}

function shortAddress(a) {
  const s = String(a || "");
  return s.length > 12 ? s.slice(0, 6) + "…" + s.slice(-4) : s;
}

// fromExtensionPage says whether a message comes from one of the extension's
// own pages (popup, composer and post frames) rather than a content script.
function fromExtensionPage(sender) {
  if (sender.id !== chrome.runtime.id || !sender.url) return false;
  try {
    return new URL(sender.url).protocol === "chrome-extension:";
  } catch {
    return false;
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || typeof msg.veil !== "string") return false;
  const table = fromExtensionPage(sender) ? extensionHandlers : pageHandlers;
  const handler = Object.hasOwn(table, msg.veil) ? table[msg.veil] : Object.hasOwn(pageHandlers, msg.veil) ? pageHandlers[msg.veil] : null;
  if (!handler) {
    sendResponse({ error: { code: "bad-input", message: "Veil cannot do " + JSON.stringify(msg.veil) + " here" } });
    return false;
  }
  Promise.resolve()
    .then(() => handler(msg.args || {}, sender))
    .then(
      (result) => sendResponse({ result }),
      (e) => sendResponse({ error: { code: (e && e.code) || "internal", message: String((e && e.message) || e) } }),
    );
  return true;
});

// Start the wasm as soon as the worker starts, so the first request is quick.
veil().catch(() => {});
