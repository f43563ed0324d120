// A Veil card in the feed: an extension frame that the content script puts
// after a post with a Veil payload. It asks the service worker to read the
// payload and renders the result here, as text. The page around it cannot
// read this frame (another origin), and the plaintext never passes through
// the content script.
"use strict";

const params = (() => {
  try {
    return JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return {};
  }
})();

const card = document.getElementById("card");

// Tell the page's content script how tall the card is (and nothing else).
function reportHeight() {
  if (!params.n || window.parent === window) return;
  const height = document.documentElement.getBoundingClientRect().height;
  window.parent.postMessage({ veilFrame: params.n, height }, "*");
}
new ResizeObserver(reportHeight).observe(document.documentElement);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function shortFingerprint(fpr) {
  const s = String(fpr || "");
  return s.length > 16 ? s.slice(0, 4) + " " + s.slice(4, 8) + " … " + s.slice(-8, -4) + " " + s.slice(-4) : s;
}

const STATES = {
  "not-for-you": ["warn", "🔒 Not for you: this post is encrypted to other people."],
  "key-unavailable": ["warn", "🔑 Key unavailable: the persona that can open this post is locked. Unlock it in Veil's toolbar popup."],
  "not-found": ["warn", "Not found: the relay does not have this post (any more)."],
  "relay-unreachable": ["warn", "📡 Relay unreachable: the encrypted post could not be fetched."],
  "bad-signature": ["bad", "⚠ Bad signature: this post was changed or its author is not who it claims."],
  corrupt: ["bad", "⚠ This Veil post is damaged and cannot be read."],
  unsupported: ["bad", "This Veil post uses a format this version of Veil cannot read."],
  locked: ["warn", "🔐 Locked: unlock your persona in Veil's toolbar popup to read this post."],
};

function showState(status, message, retry) {
  card.replaceChildren();
  const [cls, text] = STATES[status] || ["bad", "Veil could not read this post."];
  card.append(el("p", "state " + cls, text));
  card.dataset.status = status;
  if (message) card.append(el("p", "meta", message));
  if (retry) {
    const b = el("button", "link", "Try again");
    b.addEventListener("click", open);
    card.append(b);
  }
}

function audienceLine(result) {
  const named = [];
  let others = 0;
  let hidden = 0;
  for (const a of result.audienceNames || []) {
    if (a.name) named.push(a.you ? "you (" + a.name + ")" : a.name);
    else if (a.id === "HIDDEN") hidden++;
    else others++;
  }
  if (others) named.push(others === 1 ? "1 other key" : others + " other keys");
  if (hidden) named.push(hidden === 1 ? "1 hidden reader" : hidden + " hidden readers");
  return named.length ? "To: " + named.join(", ") : "";
}

function showPost(r) {
  card.replaceChildren();
  card.dataset.status = "ok";
  const head = el("div", "head");
  head.append(el("span", "kind", r.public ? "🔓 Public Veil post: signed, not encrypted" : "🔒 Decrypted with Veil"));
  card.append(head);

  const a = r.author || {};
  const signer = el("p", "meta");
  signer.dataset.role = "author";
  if (a.status === "good") {
    signer.append("Signed by " + (a.name || "an unnamed key") + " · " + shortFingerprint(a.fingerprint) + " · ");
    if (a.verified) signer.append(el("span", "ok", "✓ verified key"));
    else if (a.learnedFrom) signer.append("key learned from @" + a.learnedFrom.handle + "'s post, not verified");
    else signer.append("key not verified");
  } else if (a.status === "unknown-key") {
    signer.append("Signed by a key Veil does not know: " + shortFingerprint(a.fingerprint));
  } else if (a.status === "bad") {
    signer.append(el("span", "badsig", "⚠ Bad signature"));
  } else {
    signer.append("Not signed");
  }
  card.append(signer);
  if (params.handle) {
    card.append(el("p", "meta", "Posted by @" + params.handle + (params.name ? " (" + params.name + ")" : "") + " on " + siteName(params.site)));
  }

  const text = el("div", "text", r.text || "");
  text.dataset.role = "text";
  card.append(text);

  const meta = [];
  if (!r.public) {
    const line = audienceLine(r);
    if (line) meta.push(line);
  }
  if (r.created) {
    const d = new Date(r.created);
    if (!isNaN(d)) meta.push(d.toLocaleString());
  }
  if (meta.length) {
    const p = el("p", "meta", meta.join(" · "));
    p.dataset.role = "audience";
    card.append(p);
  }
  if (r.mine && !r.public && r.cid) card.append(shareForm(r));
  if (!r.mine && r.cid && a.status === "good") card.append(tipBox(r));
}

// ---- Tips ----
//
// A post whose author bound an account to their key both ways (docs/CHAIN.md
// "Wallet binding") can be tipped from the card. The worker checks the
// binding, builds and signs the transaction (with the wallet Veil keeps, or
// through the page's own wallet) and sends it; the card shows its state and
// the post's tip total.

function tipTotalText(t) {
  if (!t || !t.count) return "No tips yet.";
  const parts = [];
  if (t.native && t.native !== "0") parts.push(t.native + " " + (t.nativeSymbol || "ETH"));
  if (t.token && t.token !== "0") parts.push(t.token + " " + (t.tokenSymbol || "VEIL"));
  return "Tips: " + parts.join(" + ") + " (" + t.count + (t.count === 1 ? " tip)" : " tips)");
}

function tipBox(r) {
  const box = el("div", "tip");
  box.dataset.role = "tips";
  const total = el("p", "meta");
  total.dataset.role = "tip-total";
  box.append(total);
  (async () => {
    let info;
    try {
      info = await veilCall("tipInfo", { cid: r.cid, author: r.author.fingerprint }, 20000);
    } catch (e) {
      box.hidden = true; // no chain configured, or it does not answer: no tipping here
      return;
    }
    if (!info.bound) {
      box.hidden = true;
      return;
    }
    total.textContent = tipTotalText(info.total);
    if (!info.signers || !info.signers.length) {
      box.append(el("p", "meta", "To tip " + (r.author.name || "the author") + ", add an account in Veil's popup (Wallet and tips) or use a wallet in this page."));
      return;
    }
    const open = el("button", "link", "Tip " + (r.author.name || "the author") + "…");
    open.dataset.action = "tip";
    box.append(open);
    open.addEventListener("click", () => {
      open.hidden = true;
      box.append(tipForm(r, info, total));
    });
  })();
  return box;
}

function tipForm(r, info, total) {
  const form = el("form", "tip-form");
  const amount = el("input");
  amount.name = "amount";
  amount.inputMode = "decimal";
  amount.placeholder = "0.01";
  amount.required = true;
  amount.pattern = "[0-9]+([.][0-9]{1,18})?";
  const currency = el("select");
  currency.name = "currency";
  currency.append(new Option(info.nativeSymbol || "ETH", "native"));
  if (info.tokenAvailable) currency.append(new Option(info.tokenSymbol || "VEIL", "token"));
  // Who pays: one of Veil's wallets or the page's (its own window asks the
  // user again before it sends anything).
  const payer = el("select");
  payer.name = "signer";
  for (const sg of info.signers) payer.append(new Option(sg.label, sg.id));
  const send = el("button", "", "Tip");
  send.type = "submit";
  const status = el("p", "meta");
  status.dataset.role = "tip-status";
  form.append(amount, " ", currency, " ", send);
  if (info.signers.length > 1) {
    const label = el("label", "meta", "Pay with ");
    label.append(payer);
    form.append(label);
  }
  form.append(status);
  let confirming = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = amount.value.trim();
    if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(value) || /^0*(\.0*)?$/.test(value)) {
      status.textContent = "Enter an amount greater than zero, such as 0.01.";
      return;
    }
    const symbol = currency.selectedOptions[0].textContent;
    if (!confirming) {
      // Nothing is sent before a second, explicit confirmation.
      confirming = true;
      send.textContent = "Confirm";
      send.dataset.action = "confirm-tip";
      status.textContent = "Send " + value + " " + symbol + " to " + (r.author.name || "the author") + " (" + info.account + ")" +
        " from " + payer.selectedOptions[0].textContent + "? Press Confirm to send.";
      return;
    }
    const viaPage = payer.value.startsWith("page:");
    send.disabled = amount.disabled = currency.disabled = payer.disabled = true;
    status.textContent = viaPage ? "Approve the tip in your wallet…" : "Sending…";
    status.dataset.state = "sending";
    let sent;
    try {
      sent = await veilCall("tip", { cid: r.cid, author: r.author.fingerprint, amount: value, token: currency.value === "token", signer: payer.value }, viaPage ? 6 * 60000 : 120000);
    } catch (e) {
      status.textContent = "Tip not sent: " + e.message;
      status.dataset.state = "failed";
      send.disabled = amount.disabled = currency.disabled = payer.disabled = false;
      confirming = false;
      send.textContent = "Tip";
      return;
    }
    status.textContent = "Sent (" + short(sent.hash) + "), waiting for it to be mined…";
    status.dataset.state = "pending";
    for (let i = 0; i < 120; i++) {
      let st;
      try {
        st = await veilCall("tipStatus", { hash: sent.hash, expect: sent.expect }, 20000);
      } catch (e) {
        st = { status: "pending" };
      }
      if (st.status === "confirmed") {
        status.textContent = "✓ Tip of " + value + " " + symbol + " confirmed in block " + st.block + ".";
        status.dataset.state = "confirmed";
        try {
          const info2 = await veilCall("tipInfo", { cid: r.cid, author: r.author.fingerprint }, 20000);
          total.textContent = tipTotalText(info2.total);
        } catch {}
        return;
      }
      if (st.status === "failed") {
        status.textContent = "The tip failed on chain" + (st.message ? ": " + st.message : ".");
        status.dataset.state = "failed";
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    status.textContent = "Still not mined after two minutes; transaction " + sent.hash;
    status.dataset.state = "unknown";
  });
  return form;
}

function short(hash) {
  const s = String(hash || "");
  return s.length > 14 ? s.slice(0, 8) + "…" + s.slice(-4) : s;
}

function siteName(s) {
  return s === "twitter" ? "X" : s === "facebook" ? "Facebook" : s || "this site";
}

// shareForm lets the author let more contacts read the post.
function shareForm(r) {
  const box = el("div", "share");
  const toggle = el("button", "link", "Add readers…");
  box.append(toggle);
  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    let contacts;
    try {
      contacts = await veilCall("contacts", {}, 15000);
    } catch (e) {
      box.append(el("p", "state bad", e.message));
      return;
    }
    const already = new Set((r.audienceNames || []).map((a) => a.fingerprint).filter(Boolean));
    const form = el("form");
    for (const c of contacts) {
      if (already.has(c.fingerprint)) continue;
      const label = el("label");
      const cb = el("input");
      cb.type = "checkbox";
      cb.value = c.fingerprint;
      label.append(cb, " " + c.name + " · " + shortFingerprint(c.fingerprint));
      form.append(label);
    }
    if (!form.children.length) {
      box.append(el("p", "meta", "Every contact can already read this post."));
      return;
    }
    const submit = el("button", "", "Let them read it");
    submit.type = "submit";
    const status = el("p", "meta");
    form.append(submit, status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const to = [...form.querySelectorAll("input:checked")].map((x) => x.value);
      if (!to.length) return;
      submit.disabled = true;
      status.textContent = "Publishing a share…";
      try {
        await veilCall("addRecipients", { cid: r.cid, author: r.author.fingerprint, to }, 30000);
        status.textContent = "Done: they can read this post now.";
        status.dataset.role = "shared";
      } catch (e) {
        status.textContent = "Could not add readers: " + e.message;
        submit.disabled = false;
      }
    });
    box.append(form);
  });
  return box;
}

async function open() {
  card.replaceChildren(el("p", "state", "Opening with Veil…"));
  delete card.dataset.status;
  if (typeof params.p !== "string") {
    showState("corrupt", "This card was opened without a post.");
    return;
  }
  let r;
  try {
    // The worker answers within 20 s (it says "relay unreachable" then); this is the backstop.
    r = await veilCall("read", { payload: params.p, site: params.site, handle: params.handle }, 25000);
  } catch (e) {
    if (e.code === "timeout") showState("relay-unreachable", "Veil did not answer in time.", true);
    else showState(e.code, e.message, true);
    return;
  }
  if (r.status === "ok") showPost(r);
  else showState(r.status, r.message, ["relay-unreachable", "locked", "key-unavailable", "not-found"].includes(r.status));
}

open();
