// Veil's content script core: the part that is the same on every site. It
// reads the page through the site adapter (globalThis.veilSite, set by
// sites/<site>.js just before this file) and
//   - finds posts with Veil payloads and puts a card after each: an extension
//     frame (pages/post.html) that asks the service worker to decrypt and
//     renders the result itself, so the plaintext never enters this script,
//     let alone the page;
//   - puts a Veil button before each composer's post button, which opens the
//     encrypted composer (pages/composer.html) over the page and puts the
//     feed text it makes into the site's editor;
//   - checks openpgp4fpr: proofs in the bio of the profile on screen.
// Everything added to the page lives in closed shadow roots, so the page's
// scripts cannot reach the frames or the badges. A MutationObserver follows
// the endless, changing feed; each post is decorated at most once.
"use strict";

(() => {
  const site = globalThis.veilSite;
  if (!site || globalThis.veilCoreStarted) return;
  globalThis.veilCoreStarted = true;

  // Text worth asking the worker about: a Veil marker, a relay link or a
  // site's short link.
  const MAYBE_VEIL = /with Veil|\/p\/|t\.co\/|fb\.me\//;
  const MAX_PAYLOADS = 4; // cards per post
  const RETRY_MS = 10000; // after the worker failed to answer

  // query resolves a selector or an extractor function to one element.
  function query(spec, scope) {
    if (!spec) return null;
    return typeof spec === "function" ? spec(scope) : scope.querySelector(spec);
  }

  // host makes an element with a closed shadow root for Veil's UI.
  function host(tag, css) {
    const el = document.createElement(tag);
    el.style.cssText = "all: initial; display: block;";
    const root = el.attachShadow({ mode: "closed" });
    const style = document.createElement("style");
    style.textContent = css;
    root.append(style);
    return { el, root };
  }

  // ---- Extension frames ----

  const frames = new Map(); // nonce -> iframe

  function frame(page, params, css) {
    const nonce = crypto.randomUUID();
    const f = document.createElement("iframe");
    f.src = chrome.runtime.getURL(page) + "#" + encodeURIComponent(JSON.stringify(Object.assign({ n: nonce }, params)));
    f.setAttribute("title", "Veil");
    f.setAttribute("allowtransparency", "true");
    f.style.cssText = css;
    frames.set(nonce, f);
    return f;
  }

  // A frame tells its height (nothing else) so that its card fits.
  window.addEventListener("message", (ev) => {
    const d = ev.data;
    if (!d || typeof d.veilFrame !== "string" || typeof d.height !== "number") return;
    const f = frames.get(d.veilFrame);
    if (!f || ev.source !== f.contentWindow) return;
    f.style.height = Math.max(24, Math.min(4000, Math.ceil(d.height))) + "px";
  });

  function pruneFrames() {
    for (const [nonce, f] of frames) {
      if (!f.isConnected) frames.delete(nonce);
    }
  }

  // ---- Posts ----

  const CARD_CSS = ":host { all: initial; display: block; margin: 8px 0 4px; } iframe { display: block; width: 100%; border: 0; margin: 0 0 4px; background: transparent; color-scheme: light dark; } p { font: 13px system-ui, sans-serif; color: #b3261e; margin: 4px 0; }";

  const posts = new WeakMap(); // post root -> { body, text, card, pending, retryAt }
  const found = new Map(); // text -> payloads, for posts the site renders again

  function ownBody(root) {
    for (const b of root.querySelectorAll(site.post.body)) {
      if (b.closest(site.post.root) === root) return b;
    }
    return null;
  }

  async function scanPost(root) {
    const body = ownBody(root);
    if (!body) return;
    const text = site.post.text(body);
    const prev = posts.get(root);
    if (prev) {
      if (prev.pending) return;
      if (prev.body === body && prev.text === text && (!prev.card || prev.card.isConnected)) {
        if (!prev.retryAt || Date.now() < prev.retryAt) return;
      }
      if (prev.card) prev.card.remove();
    }
    const entry = { body, text, card: null, pending: false, retryAt: 0 };
    posts.set(root, entry);
    if (!MAYBE_VEIL.test(text)) return;

    let payloads = found.get(text);
    if (!payloads) {
      entry.pending = true;
      try {
        payloads = await veilCall("findPayloads", { text }, 30000);
      } catch (e) {
        entry.pending = false;
        entry.retryAt = Date.now() + RETRY_MS;
        if (/with Veil/.test(text) && posts.get(root) === entry) {
          entry.card = errorCard(body, "Veil could not read this post: " + e.message);
        }
        return;
      }
      entry.pending = false;
      if (found.size > 500) found.clear();
      found.set(text, payloads);
    }
    if (posts.get(root) !== entry || !body.isConnected || !payloads.length) return;
    const author = site.post.author(root);
    const { el, root: shadow } = host("div", CARD_CSS);
    for (const p of payloads.slice(0, MAX_PAYLOADS)) {
      shadow.append(frame("pages/post.html", { p, site: site.site, handle: author.handle, name: author.name }, "height: 64px"));
    }
    body.after(el);
    entry.card = el;
  }

  function errorCard(body, message) {
    const { el, root } = host("div", CARD_CSS);
    const p = document.createElement("p");
    p.textContent = message;
    root.append(p);
    body.after(el);
    return el;
  }

  // ---- Composer ----

  const buttons = new WeakMap(); // site's post button -> our button host
  let overlay = null; // { el, editor() } while the encrypted composer is open

  const BUTTON_CSS = `
    :host { all: initial; display: inline-flex; align-items: center; margin: 0 8px; }
    button { font: 600 14px system-ui, sans-serif; border: 1px solid #536471; border-radius: 9999px;
             padding: 6px 14px; background: #fff; color: #0f1419; cursor: pointer; }
    button:hover { background: #eef3f4; }`;

  function editorNear(button) {
    let el = button.parentElement;
    for (let up = 0; el && up < 14; up++, el = el.parentElement) {
      const ed = el.querySelector(site.composer.editor);
      if (ed) return ed;
    }
    return null;
  }

  function scanComposers() {
    for (const btn of document.querySelectorAll(site.composer.button)) {
      const mine = buttons.get(btn);
      if (mine && mine.isConnected) continue;
      if (!editorNear(btn)) continue;
      const { el, root } = host("span", BUTTON_CSS);
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "🔒 Veil";
      b.title = "Write an encrypted post with Veil";
      b.addEventListener("click", (ev) => {
        ev.preventDefault();
        ev.stopPropagation();
        openComposer(btn);
      });
      root.append(b);
      btn.before(el);
      buttons.set(btn, el);
    }
  }

  const OVERLAY_CSS = `
    :host { all: initial; position: fixed; inset: 0; z-index: 2147483647; display: block; }
    .backdrop { position: absolute; inset: 0; background: rgba(0, 0, 0, 0.45); }
    iframe { position: absolute; left: 50%; top: 8vh; transform: translateX(-50%); width: min(560px, 96vw);
             height: min(620px, 84vh); border: 0; border-radius: 16px; background: #fff;
             box-shadow: 0 8px 40px rgba(0, 0, 0, 0.35); }`;

  function openComposer(btn) {
    closeOverlay();
    const { el, root } = host("div", OVERLAY_CSS);
    const backdrop = document.createElement("div");
    backdrop.className = "backdrop";
    backdrop.addEventListener("click", closeOverlay);
    const handle = site.self ? site.self(document) : "";
    root.append(backdrop, frame("pages/composer.html", { site: site.site, handle }, ""));
    document.documentElement.append(el);
    overlay = { el, editor: () => editorNear(btn) || document.querySelector(site.composer.editor) };
  }

  function closeOverlay() {
    if (overlay) overlay.el.remove();
    overlay = null;
  }

  // insertText puts text into the site's editor as typing would, so the
  // site's own editor (Draft.js, Lexical, a textarea) sees an input event.
  function insertText(editor, text) {
    editor.focus();
    if (editor instanceof HTMLTextAreaElement || editor instanceof HTMLInputElement) {
      editor.setRangeText(text, editor.selectionStart, editor.selectionEnd, "end");
      editor.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
      return;
    }
    const sel = window.getSelection();
    if (!sel.rangeCount || !editor.contains(sel.anchorNode)) {
      const range = document.createRange();
      range.selectNodeContents(editor);
      range.collapse(false);
      sel.removeAllRanges();
      sel.addRange(range);
    }
    if (document.execCommand("insertText", false, text)) return;
    // Editors that ignore execCommand read a paste.
    const data = new DataTransfer();
    data.setData("text/plain", text);
    editor.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }

  chrome.runtime.onMessage.addListener((msg, sender) => {
    if (sender.id !== chrome.runtime.id || !msg) return;
    if (typeof msg.veilInsert === "string" && overlay) {
      const editor = overlay.editor();
      closeOverlay();
      if (editor) insertText(editor, msg.veilInsert);
    } else if (msg.veilClose) {
      closeOverlay();
    }
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && overlay) closeOverlay();
  });

  // ---- Profiles ----

  const BADGE_CSS = `
    :host { all: initial; display: block; margin: 6px 0; }
    p { font: 13px/1.4 system-ui, sans-serif; margin: 2px 0; padding: 4px 8px; border-radius: 8px; }
    .verified { background: #e6f4ea; color: #0d652d; }
    .warn { background: #fef7e0; color: #7a4f01; }
    .bad { background: #fce8e6; color: #a50e0e; }`;

  let profile = { key: "", badge: null, pending: "" };

  function groups(fpr) {
    return fpr.replace(/(.{4})/g, "$1 ").trim();
  }

  async function scanProfile() {
    if (!site.profile) return;
    const bio = query(site.profile.bio, document);
    if (!bio) return;
    const text = site.profile.text(bio);
    if (!/openpgp4fpr:/i.test(text)) return;
    const handle = site.profile.handle(document);
    if (!handle) return;
    const key = handle + "\n" + text;
    if (profile.pending === key) return;
    if (profile.key === key && profile.badge && profile.badge.isConnected) return;
    if (profile.badge) profile.badge.remove();
    profile = { key: "", badge: null, pending: key };
    let res;
    try {
      res = await veilCall("checkProfile", { site: site.site, handle, bio: text }, 30000);
    } catch (e) {
      res = { error: e.message, proofs: [] };
    }
    if (profile.pending !== key || !bio.isConnected) return;
    const { el, root } = host("div", BADGE_CSS);
    const line = (cls, s) => {
      const p = document.createElement("p");
      p.className = cls;
      p.textContent = s;
      root.append(p);
    };
    if (res.error) line("bad", "Veil could not check this profile's key: " + res.error);
    const account = site.account ? site.account(handle) : handle;
    for (const proof of res.proofs || []) {
      const who = proof.name ? " (" + proof.name + ")" : "";
      const fp = groups(proof.fingerprint);
      switch (proof.status) {
        case "verified":
          line("verified", "✓ Veil: key " + fp + who + " verified for " + account);
          break;
        case "mismatch":
          line("bad", "⚠ Veil: the key " + fp + " named here does not claim " + account);
          break;
        case "key-unavailable":
          line("warn", "Veil: key " + fp + " is not on the relay");
          break;
        case "relay-unreachable":
          line("warn", "Veil: relay unreachable, key " + fp + " not checked");
          break;
        default:
          line("warn", "Veil: key " + fp + who + " is named here but not verified");
      }
    }
    bio.after(el);
    profile = { key, badge: el, pending: "" };
  }

  // ---- Watching the page ----

  let scheduled = false;
  let lastScan = 0;

  function scan() {
    scheduled = false;
    lastScan = Date.now();
    for (const root of document.querySelectorAll(site.post.root)) scanPost(root);
    scanComposers();
    scanProfile();
    pruneFrames();
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setTimeout(scan, Math.max(0, 150 - (Date.now() - lastScan)));
  }

  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  // Posts whose worker call failed are tried again after a while.
  setInterval(schedule, RETRY_MS);
  scan();
})();
