// veilCall sends one request to the service worker (background.js) and
// returns a Promise of its result. It is shared by the content scripts and the
// extension's own pages (popup, composer, post frames), as a classic script.
//
// Every call has a deadline: the caller gets an error with code "timeout"
// rather than waiting for ever (a worker that is starting loads the wasm
// first, which takes a second or two).
"use strict";

globalThis.veilCall = function veilCall(type, args, timeoutMs) {
  const deadline = timeoutMs || 30000;
  return new Promise((resolve, reject) => {
    const fail = (code, message) => {
      const err = new Error(message);
      err.code = code;
      reject(err);
    };
    const timer = setTimeout(() => fail("timeout", "Veil did not answer in " + Math.round(deadline / 1000) + " s"), deadline);
    let sent;
    try {
      sent = chrome.runtime.sendMessage({ veil: type, args: args || {} });
    } catch (e) {
      // The extension was reloaded or removed under a running content script.
      clearTimeout(timer);
      fail("gone", "Veil was updated or removed; reload the page");
      return;
    }
    sent.then(
      (reply) => {
        clearTimeout(timer);
        if (!reply) {
          fail("internal", "no answer from Veil");
        } else if (reply.error) {
          fail(reply.error.code || "internal", reply.error.message || "error");
        } else {
          resolve(reply.result);
        }
      },
      (e) => {
        clearTimeout(timer);
        fail("internal", String((e && e.message) || e));
      },
    );
  });
};
