// A wallet for the browser tests: an EIP-6963 provider, "Test Wallet", that
// a test puts into the saved pages before their own scripts run, as a
// wallet extension does. It holds no key: each EIP-1193 request goes to the
// test's signer at /__wallet on the site's own origin (the pages' CSP
// allows connect-src 'self'), which answers as a wallet would: accounts,
// chain ID, and transactions it signs with a dev chain account and sends.
(() => {
  "use strict";
  const info = Object.freeze({
    uuid: "4c2d39c4-7f3e-4b5a-9a51-0d5e7e3c1a01",
    name: "Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E",
    rdns: "org.veilsocial.testwallet",
  });
  async function request(args) {
    const res = await fetch("/__wallet", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ method: args && args.method, params: (args && args.params) || [] }),
    });
    const body = await res.json();
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
    return body.result;
  }
  const provider = Object.freeze({ request, isTestWallet: true });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
