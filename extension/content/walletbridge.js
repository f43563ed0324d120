// The isolated-world half of the page-wallet bridge (content/pagewallet.js
// is the other): the service worker asks this content script, with
// chrome.tabs.sendMessage({veilPageWallet: …}), for the page's wallets or
// for one EIP-1193 request, and it passes the question to the page's world
// and the answer back.
//
// Operations: {op: "list"} → [{uuid, name, rdns}]; {op: "request", uuid,
// method, params} → the wallet's result. A wallet's refusal comes back as
// {error: {code, message}} with the EIP-1193 code (4001: the user said no).
"use strict";

(() => {
  const TAG = "veilPageWallet";
  // How long a request may wait: sending a transaction waits for the user
  // to approve it in the wallet's own window.
  const LIST_TIMEOUT_MS = 1500;
  const REQUEST_TIMEOUT_MS = 5 * 60 * 1000;

  const waiting = new Map(); // id → { resolve, reject, timer }

  window.addEventListener("message", (ev) => {
    if (ev.source !== window || !ev.data || ev.data[TAG] !== "reply") return;
    const w = waiting.get(ev.data.id);
    if (!w) return;
    waiting.delete(ev.data.id);
    clearTimeout(w.timer);
    if (ev.data.error) w.reject(ev.data.error);
    else w.resolve(ev.data.result);
  });

  function ask(req) {
    const id = crypto.randomUUID();
    const timeout = req.op === "list" ? LIST_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject({ code: 0, message: req.op === "list" ? "the page did not answer" : "the wallet did not answer in " + timeout / 60000 + " minutes" });
      }, timeout);
      waiting.set(id, { resolve, reject, timer });
      const msg = { [TAG]: "request", id, op: req.op };
      if (req.op === "request") Object.assign(msg, { uuid: String(req.uuid || ""), method: String(req.method || ""), params: req.params });
      window.postMessage(msg, location.origin);
    });
  }

  chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    if (sender.id !== chrome.runtime.id || !msg || !msg.veilPageWallet) return false;
    ask(msg.veilPageWallet).then(
      (result) => sendResponse({ result }),
      (error) => sendResponse({ error: { code: Number(error && error.code) || 0, message: String((error && error.message) || "the wallet failed") } }),
    );
    return true;
  });
})();
