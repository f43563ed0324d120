// A VeilStorage (veil.d.ts) in memory, for the benchmark pages: what
// chrome.storage.local would be, without touching the disk.
"use strict";

globalThis.memoryStorage = function memoryStorage() {
  const blobs = new Map();
  return {
    async get(name) {
      return blobs.has(name) ? blobs.get(name).slice() : null;
    },
    async set(name, data) {
      blobs.set(name, data.slice());
    },
    async remove(name) {
      blobs.delete(name);
    },
    async list(prefix) {
      return [...blobs.keys()].filter((n) => n.startsWith(prefix));
    },
  };
};
