// One cold start of veil.wasm, timed with performance.now(): fetch, compile
// and instantiate (WebAssembly.instantiateStreaming), then go.run and
// newVeil until its Promise resolves. The page is loaded fresh for every run
// (a new browser context, the cache disabled), and ?run=N makes the wasm's URL
// unique as well, so nothing compiled before is reused.
"use strict";

globalThis.coldStart = (async () => {
  const run = new URLSearchParams(location.search).get("run") || "0";
  const t0 = performance.now();
  const go = new Go();
  const response = fetch("/veil.wasm?run=" + encodeURIComponent(run), { cache: "no-store" });
  const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
  const t1 = performance.now();
  go.run(instance); // runs main until it waits; newVeil is set by then
  const veil = await newVeil({ storage: memoryStorage(), relay: location.origin });
  const t2 = performance.now();
  if (typeof veil.open !== "function") throw new Error("newVeil gave no Veil object");
  return {
    ms: t2 - t0,
    instantiateMs: t1 - t0,
    runMs: t2 - t1,
    sinceNavigationMs: t2,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
})();
