// Veil's toolbar popup: personas, contacts, the relay and backups.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function say(text, cls) {
  const m = $("message");
  m.textContent = text;
  m.className = "small " + (cls || "");
}

function groups(fpr) {
  return String(fpr).replace(/(.{4})/g, "$1 ").trim();
}

function handlesText(handles) {
  return (handles || []).map((h) => (h.site === "facebook" ? "facebook.com/" : "@") + h.handle).join(", ");
}

// busy runs an action with its button disabled and reports failures.
async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    say(e.message, "error");
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

function b64ToBytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// ---- Status and settings ----

async function loadStatus() {
  try {
    const s = await veilCall("status", {}, 30000);
    $("relay").value = s.relay;
    $("status").textContent = s.ready ? "ready" : "not ready";
    $("status").dataset.ready = String(!!s.ready);
    if (!s.ready) say("Veil could not start: " + s.error, "error");
  } catch (e) {
    $("status").textContent = "not ready";
    say("Veil could not start: " + e.message, "error");
  }
}

$("relay-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("relay-save"), async () => {
    const url = $("relay").value.trim();
    let origin;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new Error("the relay must be a URL such as https://relay.example");
    }
    const origins = [origin + "/*"];
    if (!(await chrome.permissions.contains({ origins }))) {
      const granted = await chrome.permissions.request({ origins }).catch(() => false);
      if (!granted) throw new Error("Veil needs permission to talk to " + origin);
    }
    const s = await veilCall("setSettings", { relay: url }, 30000);
    $("relay").value = s.relay;
    say("Relay set to " + s.relay, "notice");
  });
});

// ---- Personas ----

async function loadPersonas() {
  const list = $("personas");
  let personas;
  try {
    personas = await veilCall("personas", {}, 30000);
  } catch (e) {
    list.replaceChildren(el("p", "error", e.message));
    return;
  }
  list.replaceChildren();
  if (!personas.length) list.append(el("p", "muted small", "No persona yet. Create one to post and read with Veil."));
  for (const p of personas) list.append(personaItem(p));
}

function personaItem(p) {
  const item = el("div", "item persona");
  item.dataset.fingerprint = p.fingerprint;
  const top = el("div", "row");
  top.append(el("span", "name grow", p.name + (p.email ? " <" + p.email + ">" : "")));
  top.append(el("span", "badge", p.profile));
  if (p.locked) top.append(el("span", "badge", "locked"));
  item.append(top, el("div", "fpr", groups(p.fingerprint)));
  if (p.handles && p.handles.length) item.append(el("div", "small muted", handlesText(p.handles)));

  const actions = el("div", "row actions");
  if (p.locked) {
    const pass = el("input", "grow");
    pass.type = "password";
    pass.placeholder = "passphrase";
    const unlock = el("button", "", "Unlock");
    unlock.addEventListener("click", () =>
      busy(unlock, async () => {
        await veilCall("unlock", { fingerprint: p.fingerprint, passphrase: pass.value }, 30000);
        say("Unlocked " + p.name, "notice");
        await loadPersonas();
      }),
    );
    actions.append(pass, unlock);
  } else if (p.protected) {
    const lock = el("button", "secondary", "Lock");
    lock.addEventListener("click", () =>
      busy(lock, async () => {
        await veilCall("lock", { fingerprint: p.fingerprint }, 30000);
        await loadPersonas();
      }),
    );
    actions.append(lock);
  }
  const exportBtn = el("button", "secondary", "Public key");
  exportBtn.dataset.action = "export";
  exportBtn.addEventListener("click", () =>
    busy(exportBtn, async () => {
      const armored = await veilCall("exportPublicKey", { fingerprint: p.fingerprint }, 30000);
      let pre = item.querySelector("pre.key");
      if (!pre) {
        pre = el("pre", "key");
        const copy = el("button", "link", "Copy");
        copy.addEventListener("click", () => navigator.clipboard.writeText(armored).then(() => say("Copied", "notice")));
        item.append(pre, copy);
      }
      pre.textContent = armored;
    }),
  );
  if (!p.locked) {
    // Binding writes the account into the key and publishes it, so readers can tip.
    const bind = el("button", "secondary", p.wallet ? "Bound to " + p.wallet.slice(0, 8) + "…" : "Bind wallet");
    bind.dataset.action = "bind-wallet";
    bind.title = "Sign this persona's fingerprint with your Veil account and add the account to the key (docs/CHAIN.md)";
    bind.addEventListener("click", () =>
      busy(bind, async () => {
        const r = await veilCall("bindWallet", { fingerprint: p.fingerprint }, 60000);
        say("Bound " + p.name + " to " + r.account + " and published the key.", "notice");
        await loadPersonas();
      }),
    );
    actions.append(bind);
  }
  const publish = el("button", "secondary", "Publish");
  publish.dataset.action = "publish";
  publish.addEventListener("click", () =>
    busy(publish, async () => {
      await veilCall("publishKey", { fingerprint: p.fingerprint }, 30000);
      say("Published " + p.name + "'s key to the relay", "notice");
    }),
  );
  actions.append(exportBtn, publish);
  item.append(actions);
  return item;
}

$("persona-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("p-create"), async () => {
    const handles = [];
    if ($("p-twitter").value.trim()) handles.push({ site: "twitter", handle: $("p-twitter").value.trim() });
    if ($("p-facebook").value.trim()) handles.push({ site: "facebook", handle: $("p-facebook").value.trim() });
    const p = await veilCall(
      "createPersona",
      {
        name: $("p-name").value,
        email: $("p-email").value,
        passphrase: $("p-pass").value,
        profile: $("p-profile").value,
        handles,
        publish: $("p-publish").checked,
      },
      60000,
    );
    $("persona-form").reset();
    $("new-persona").open = false;
    say("Created " + p.name + ($("p-publish").checked ? " and published the key" : ""), "notice");
    await loadPersonas();
  });
});

// ---- Contacts ----

async function loadContacts() {
  const list = $("contacts");
  let contacts;
  try {
    contacts = await veilCall("contacts", {}, 30000);
  } catch (e) {
    list.replaceChildren(el("p", "error", e.message));
    return;
  }
  list.replaceChildren();
  if (!contacts.length) list.append(el("p", "muted small", "No contacts yet."));
  for (const c of contacts) {
    const item = el("div", "item contact");
    item.dataset.fingerprint = c.fingerprint;
    const top = el("div", "row");
    top.append(el("span", "name grow", c.name + (c.email ? " <" + c.email + ">" : "")));
    if (c.verified) top.append(el("span", "badge ok", "✓ " + (c.verified === "proof" ? "proof checked" : "verified")));
    item.append(top, el("div", "fpr", groups(c.fingerprint)));
    if (c.handles && c.handles.length) item.append(el("div", "small muted", handlesText(c.handles)));
    const remove = el("button", "link", "Remove");
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        await veilCall("removeContact", { fingerprint: c.fingerprint }, 30000);
        await loadContacts();
      }),
    );
    item.append(remove);
    list.append(item);
  }
}

$("lookup-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("l-find"), async () => {
    const site = $("l-site").value;
    const handle = $("l-handle").value.trim().replace(/^@/, "");
    const out = $("lookup-results");
    out.replaceChildren(el("p", "small muted", "Looking up…"));
    const keys = await veilCall("resolveKeys", { query: { handle: { site, handle } } }, 30000);
    out.replaceChildren();
    if (!keys.length) out.append(el("p", "small muted", "No key on the relay claims that account."));
    for (const k of keys) {
      const item = el("div", "item result");
      item.dataset.fingerprint = k.fingerprint;
      item.append(el("div", "name", k.name + (k.email ? " <" + k.email + ">" : "")), el("div", "fpr", groups(k.fingerprint)));
      if (k.handles && k.handles.length) item.append(el("div", "small muted", "claims " + handlesText(k.handles)));
      const add = el("button", "", "Add contact");
      add.addEventListener("click", () =>
        busy(add, async () => {
          await veilCall("addContact", { armored: k.armored, site, handle }, 30000);
          say("Added " + k.name, "notice");
          out.replaceChildren();
          await loadContacts();
        }),
      );
      item.append(add);
      out.append(item);
    }
  });
});

$("paste-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("k-add"), async () => {
    const handle = $("k-handle").value.trim().replace(/^@/, "");
    const c = await veilCall("addContact", { armored: $("k-armored").value, site: handle ? $("k-site").value : undefined, handle: handle || undefined }, 30000);
    $("paste-form").reset();
    say("Added " + c.name, "notice");
    await loadContacts();
  });
});

// ---- Backup and restore ----

$("backup-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("b-save"), async () => {
    const data = await veilCall("backup", { passphrase: $("b-pass").value }, 60000);
    const url = URL.createObjectURL(new Blob([b64ToBytes(data)], { type: "application/pgp-encrypted" }));
    const a = el("a");
    a.href = url;
    a.download = "veil-backup-" + new Date().toISOString().slice(0, 10) + ".asc";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    $("backup-form").reset();
    say("Backup saved. Keep the passphrase: without it the backup cannot be opened.", "notice");
  });
});

$("restore-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("r-go"), async () => {
    const file = $("r-file").files[0];
    if (!file) throw new Error("choose a backup file");
    const data = bytesToB64(new Uint8Array(await file.arrayBuffer()));
    const n = await veilCall("restore", { data, passphrase: $("r-pass").value }, 60000);
    $("restore-form").reset();
    say("Restored " + n.personas + " persona(s), " + n.contacts + " contact(s)" + (n.wallets ? " and " + n.wallets + " wallet(s)" : "") + ".", "notice");
    await Promise.all([loadPersonas(), loadContacts()]);
  });
});

// ---- Wallet and tips ----

async function loadWallet() {
  let w;
  try {
    w = await veilCall("walletStatus", {}, 30000);
  } catch (e) {
    $("wallet-summary").textContent = e.message;
    return;
  }
  const parts = [];
  parts.push(w.chain ? "Chain " + w.chain.chainId + " at " + w.chain.rpc : "No chain set: tips are off.");
  if (w.accounts && w.accounts.length) parts.push("Account " + w.accounts.map((a) => a.address + (a.locked ? " (locked)" : "")).join(", "));
  else if (w.chain) parts.push("No account yet: import one or make a new one.");
  $("wallet-summary").textContent = parts.join(" · ");
  $("wallet-summary").dataset.address = (w.accounts && w.accounts[0] && w.accounts[0].address) || "";
  if (w.chain && !$("chain-json").value) $("chain-json").value = JSON.stringify({ chainId: w.chain.chainId, rpc: w.chain.rpc, contracts: w.chain.contracts }, null, 1);
}

$("chain-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("chain-save"), async () => {
    let cfg;
    try {
      cfg = JSON.parse($("chain-json").value);
    } catch {
      throw new Error("The chain settings are not JSON.");
    }
    await veilCall("setChain", { chain: cfg }, 30000);
    say("Chain saved.", "notice");
    await loadWallet();
  });
});

$("wallet-import-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy($("w-import"), async () => {
    const a = await veilCall("walletImport", { privateKey: $("w-key").value.trim(), passphrase: $("w-pass").value }, 30000);
    $("wallet-import-form").reset();
    say("Imported account " + a.address + ".", "notice");
    await Promise.all([loadWallet(), loadPersonas()]);
  });
});

$("w-create").addEventListener("click", () =>
  busy($("w-create"), async () => {
    const a = await veilCall("walletCreate", { passphrase: $("w-pass").value }, 30000);
    say("New account " + a.address + ". Fund it before tipping.", "notice");
    await Promise.all([loadWallet(), loadPersonas()]);
  }),
);

loadStatus()
  .then(() => Promise.all([loadPersonas(), loadContacts(), loadWallet()]))
  .finally(() => {
    document.body.dataset.loaded = "true";
  });
