// The page's wallets, for tips signed by a wallet the user already has.
//
// This script runs in the page's own JavaScript world (the manifest's
// "world": "MAIN", at document_start): wallets live there, announced by
// EIP-6963 events or, from older wallets, as window.ethereum (EIP-1193).
// Veil's content script (content/walletbridge.js, in the isolated world)
// asks it through window.postMessage, and it answers the same way.
//
// What it may be asked is short and public: which wallets there are (their
// names), and the five EIP-1193 methods a tip needs. It never sees a key,
// a persona or a plaintext: a tip's transaction (the Tips contract, the
// author's account, the post's CID, the amount) is all that crosses, and
// that goes on chain anyway. The page's scripts can read these messages,
// and forge answers; the service worker checks the reported transaction on
// the chain (tipStatus with the call it asked for), not the answer.
(() => {
  "use strict";
  const TAG = "veilPageWallet";
  // The page may replace these later; keep the originals.
  const win = window;
  const listen = win.addEventListener.bind(win);
  const post = win.postMessage.bind(win);
  const dispatch = win.dispatchEvent.bind(win);
  const origin = win.location.origin;

  const METHODS = new Set(["eth_requestAccounts", "eth_accounts", "eth_chainId", "eth_sendTransaction", "wallet_switchEthereumChain"]);
  const providers = new Map(); // uuid → { info, provider }

  listen("eip6963:announceProvider", (ev) => {
    const d = ev && ev.detail;
    if (!d || !d.info || !d.provider || typeof d.provider.request !== "function") return;
    const uuid = String(d.info.uuid || "").slice(0, 64);
    if (!uuid) return;
    providers.set(uuid, {
      info: { uuid, name: String(d.info.name || "Wallet").slice(0, 60), rdns: String(d.info.rdns || "").slice(0, 100) },
      provider: d.provider,
    });
  });
  const discover = () => dispatch(new Event("eip6963:requestProvider"));
  discover();

  // A wallet that does not announce itself but sets window.ethereum.
  function legacy() {
    const p = win.ethereum;
    if (providers.size || !p || typeof p.request !== "function") return null;
    return { info: { uuid: "window.ethereum", name: p.isMetaMask ? "MetaMask" : "Browser wallet", rdns: "" }, provider: p };
  }

  async function answer(req) {
    if (req.op === "list") {
      discover();
      // Wallets answer requestProvider at once (synchronously, as a rule).
      await new Promise((r) => setTimeout(r, 50));
      const l = legacy();
      return [...providers.values(), ...(l ? [l] : [])].map((p) => p.info);
    }
    if (req.op !== "request") throw Object.assign(new Error("unknown operation"), { code: -32601 });
    if (!METHODS.has(req.method)) throw Object.assign(new Error("Veil does not ask wallets for " + req.method), { code: 4200 });
    const p = providers.get(req.uuid) || (req.uuid === "window.ethereum" ? legacy() : null);
    if (!p) throw Object.assign(new Error("that wallet is not in this page any more"), { code: 4900 });
    const args = { method: req.method };
    if (Array.isArray(req.params)) args.params = req.params;
    return p.provider.request(args);
  }

  listen("message", (ev) => {
    if (ev.source !== win || !ev.data || ev.data[TAG] !== "request" || typeof ev.data.id !== "string") return;
    const id = ev.data.id;
    Promise.resolve()
      .then(() => answer(ev.data))
      // Only plain data crosses (a wallet may answer with anything).
      .then((result) => ({ result: JSON.parse(JSON.stringify(result === undefined ? null : result)) }))
      .then(
        (body) => post({ [TAG]: "reply", id, ...body }, origin),
        (e) => post({ [TAG]: "reply", id, error: { code: Number((e && e.code) || 0) || 0, message: String((e && e.message) || e).slice(0, 300) } }, origin),
      );
  });
})();
