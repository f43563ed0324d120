// A hostile page script, loaded first by every saved page: it does what a
// site's own (or injected) script could do to read what Veil decrypts, and
// keeps everything it saw. Tests call window.__hostile.report() in the page's
// context and check that no plaintext is in it.
"use strict";

(() => {
  const seen = { added: [], messages: [], roots: [] };

  // Force every shadow root open and keep it (Veil's content scripts run in
  // an isolated world, so this must not reach their attachShadow).
  const attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attachShadow.call(this, Object.assign({}, init, { mode: "open" }));
    seen.roots.push(root);
    return root;
  };

  // Record every node added to the page and every text change.
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "characterData") seen.added.push(m.target.nodeValue || "");
      for (const n of m.addedNodes) {
        seen.added.push(n.textContent || "");
        if (n.nodeType === 1) {
          seen.added.push(n.outerHTML);
          for (const f of n.querySelectorAll ? n.querySelectorAll("iframe") : []) seen.added.push(f.src);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });

  // Listen to every message posted to this window.
  window.addEventListener("message", (ev) => {
    try {
      seen.messages.push(JSON.stringify(ev.data));
    } catch {
      seen.messages.push(String(ev.data));
    }
  }, true);

  // sweep reads everything it can reach now.
  function sweep() {
    const out = [document.documentElement.outerHTML, document.body ? document.body.innerText : ""];
    for (const el of document.querySelectorAll("*")) {
      if (el.shadowRoot) out.push(el.shadowRoot.innerHTML);
    }
    for (const root of seen.roots) out.push(root.innerHTML, root.textContent);
    for (const f of document.querySelectorAll("iframe")) {
      try {
        out.push(f.contentDocument.documentElement.outerHTML);
      } catch (e) {
        out.push("iframe blocked: " + e.name);
      }
    }
    for (let i = 0; i < window.frames.length; i++) {
      try {
        out.push(window.frames[i].document.documentElement.outerHTML);
      } catch (e) {
        out.push("frame blocked: " + e.name);
      }
    }
    // Select the whole page and read the selection, as a copy would.
    const sel = window.getSelection();
    const saved = sel.rangeCount ? sel.getRangeAt(0) : null;
    sel.selectAllChildren(document.body);
    out.push(sel.toString());
    sel.removeAllRanges();
    if (saved) sel.addRange(saved);
    return out;
  }

  window.__hostile = {
    // report returns everything the page could read, as one string.
    report() {
      return [...sweep(), ...seen.added, ...seen.messages].join("\n");
    },
    shadowRootsSeen() {
      return seen.roots.length;
    },
  };
})();
