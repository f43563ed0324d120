// Drives veil.wasm through its JavaScript API (wasmclient/js/veil.d.ts) as the
// extension does, against a real relay, and prints one JSON document of what
// happened for integration/bridge_test.go to check.
//
// Usage: node bridge.mjs <veil.wasm> <wasm_exec.js> <relay URL> <dev chain file>

import { readFileSync } from "node:fs";
import net from "node:net";
import vm from "node:vm";

const nodeProcess = globalThis.process;
const [wasmPath, wasmExecPath, relay, chainPath] = nodeProcess.argv.slice(2);

// Look like a browser to Go. Go's net/http under Node.js does not use fetch
// unless process is missing (go.dev/issue/57613), and a browser has no
// process: wasm_exec.js puts in the stub a browser gets. Node 18 and later
// have fetch, performance and TextEncoder; Node 18 (Debian 12's) keeps
// WebCrypto, which Go's crypto/rand calls, out of the globals.
globalThis.crypto ??= (await import("node:crypto")).webcrypto;
delete globalThis.process;
vm.runInThisContext(readFileSync(wasmExecPath, "utf8"), { filename: wasmExecPath });
const go = new globalThis.Go();
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), go.importObject);
go.run(instance);
if (typeof globalThis.newVeil !== "function") throw new Error("veil.wasm did not set newVeil");

/** A VeilStorage in memory; blobs is there for the test to look into. */
function memoryStorage() {
  const blobs = new Map();
  return {
    blobs,
    async get(name) {
      return blobs.has(name) ? blobs.get(name).slice() : null;
    },
    async set(name, data) {
      if (!(data instanceof Uint8Array)) throw new Error("set: not a Uint8Array");
      blobs.set(name, data.slice());
    },
    async remove(name) {
      blobs.delete(name);
    },
    async list(prefix) {
      return [...blobs.keys()].filter((n) => n.startsWith(prefix));
    },
  };
}

/** A local port that nothing listens on. */
function closedPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** What a call's Promise settled with: "resolved", or the rejection's code. */
async function code(promise) {
  try {
    await promise;
    return "resolved";
  } catch (e) {
    if (!(e instanceof Error)) return "rejected with a non-Error: " + String(e);
    return typeof e.code === "string" ? e.code : "Error without code: " + e.message;
  }
}

const text = new TextDecoder();
const r = {};

async function run() {
  const stores = { alice: memoryStorage(), bob: memoryStorage(), carol: memoryStorage() };
  const alice = await newVeil({ storage: stores.alice, relay });
  const bob = await newVeil({ storage: stores.bob, relay });
  const carol = await newVeil({ storage: stores.carol, relay });
  r.methods = Object.keys(alice).sort();
  r.returnsPromise = alice.listPersonas() instanceof Promise;

  const twitterAlice = { site: "twitter", handle: "alice" };
  const a = await alice.createPersona({ name: "Alice", email: "alice@example.org", handles: [twitterAlice] });
  const b = await bob.createPersona({ name: "Bob", email: "bob@example.org", profile: "v6" });
  const c = await carol.createPersona({ name: "Carol", email: "carol@example.org" });
  r.personas = { alice: a, bob: b, carol: c };
  r.storedPersona = [...stores.alice.blobs.keys()];
  for (const [v, p] of [[alice, a], [bob, b], [carol, c]]) await v.publishKey(p.fingerprint);

  // Keys through the relay's directory: Bob finds Alice by her handle,
  // Carol by her email, Alice finds both by fingerprint.
  const byHandle = await bob.resolveKeys({ handle: twitterAlice });
  r.resolveByHandle = byHandle.map((k) => ({ fingerprint: k.fingerprint, name: k.name, handles: k.handles }));
  r.contactAdded = await bob.addContact(byHandle[0].armored, twitterAlice);
  const byEmail = await carol.resolveKeys({ email: "alice@example.org" });
  r.resolveByEmail = byEmail.map((k) => k.fingerprint);
  await carol.addContact(byEmail[0].armored);
  for (const f of [b.fingerprint, c.fingerprint]) {
    const [k] = await alice.resolveKeys({ fingerprint: f });
    await alice.addContact(k.armored);
  }
  r.aliceContacts = (await alice.listContacts()).map((x) => x.fingerprint).sort();
  r.resolveNobody = await alice.resolveKeys({ email: "nobody@example.org" });

  // Alice writes to Bob; Bob reads it from a page; Carol cannot.
  const composed = await alice.compose({ author: a.fingerprint, text: "hello bob", audience: "contacts", to: [b.fingerprint], site: "twitter", handle: "alice" });
  r.composed = composed;
  r.found = await bob.findPayloads(`Alice @alice · 2h\n${composed.feedText}\n3 replies`);
  r.bobRead = await bob.read(r.found[0]);
  r.carolBefore = await carol.read(composed.feedText);
  r.bobShares = await code(bob.addRecipients(composed.cid, b.fingerprint, [a.fingerprint]));
  r.share = await alice.addRecipients(composed.cid, a.fingerprint, [c.fingerprint]);
  r.carolAfter = await carol.read(composed.link);

  // The same post sealed and opened in hand, with no relay.
  const sealed = await alice.seal({ author: a.fingerprint, text: "sealed for bob", audience: "contacts", to: [b.fingerprint] });
  r.sealedIsBytes = sealed instanceof Uint8Array;
  r.bobOpen = await bob.open(sealed);
  r.carolOpen = await carol.open(sealed);
  r.openNotBytes = await code(bob.open("not bytes"));

  // A public post, read by Carol (Alice's contact) and a stranger.
  const pub = await alice.compose({ author: a.fingerprint, text: "hello world", audience: "public" });
  r.publicFeedText = pub.feedText;
  r.publicRead = await carol.read(pub.link);
  const stranger = await newVeil({ storage: memoryStorage(), relay });
  r.publicStranger = await stranger.read(pub.feedText);
  r.publicShare = await code(alice.addRecipients(pub.cid, a.fingerprint, [b.fingerprint]));

  // Payloads in a page: two links, a link the site cut short, noise.
  r.findMixed = await bob.findPayloads(
    `look: ${composed.link} — and ${pub.feedText}.\nCut: ${composed.link.slice(0, -12)}… nothing else https://example.org/p/x`,
  );
  r.findNone = await bob.findPayloads("no posts here https://example.org");

  // Identity proofs: a bio with Alice's fingerprint proves her key, and
  // Bob's contact for @alice is verified from then on.
  r.proofTrue = await bob.checkProof(`Alice 🌻 openpgp4fpr:${a.fingerprint.toLowerCase()}`, a.fingerprint, twitterAlice);
  r.proofFalse = await bob.checkProof(`Alice 🌻 openpgp4fpr:${b.fingerprint.toLowerCase()}`, a.fingerprint, twitterAlice);
  r.bobContacts = await bob.listContacts();
  r.verifiedAuthor = (await bob.read(composed.link)).author;

  // A passphrase-protected persona: locked, it refuses to write.
  const dave = await newVeil({ storage: memoryStorage(), relay });
  const d = await dave.createPersona({ name: "Dave", passphrase: "dave's secret" });
  r.daveCreated = d;
  await dave.lock(d.fingerprint);
  r.daveLocked = (await dave.listPersonas())[0].locked;
  r.lockedCompose = await code(dave.compose({ author: d.fingerprint, text: "x", audience: "self" }));
  r.wrongPassphrase = await code(dave.unlock(d.fingerprint, "guess"));
  await dave.unlock(d.fingerprint, "dave's secret");
  r.unlockedCompose = (await dave.compose({ author: d.fingerprint, text: "x", audience: "self" })).feedText;

  // Backup and restore into a new storage.
  const backup = await bob.backup("backup pass");
  r.backupIsBytes = backup instanceof Uint8Array;
  r.backupHead = text.decode(backup.slice(0, 27));
  const bob2 = await newVeil({ storage: memoryStorage(), relay });
  r.restoreWrong = await code(bob2.restore(backup, "not it"));
  r.restored = await bob2.restore(backup, "backup pass");
  r.restoredPersonas = (await bob2.listPersonas()).map((p) => p.fingerprint);
  r.restoredRead = await bob2.read(composed.link);

  // A relay that is down: nothing listens on a port that was just free.
  const offline = await newVeil({ storage: memoryStorage(), relay: "http://127.0.0.1:" + (await closedPort()) });
  const o = await offline.createPersona({ name: "Offline" });
  r.downCompose = await code(offline.compose({ author: o.fingerprint, text: "x", audience: "self" }));
  r.downRead = await offline.read(composed.cid);
  r.downSealOpen = (await offline.open(await offline.seal({ author: o.fingerprint, text: "x", audience: "self" }))).status;

  // What a caller gets wrong, and what the rejection looks like.
  r.readNoPost = await code(alice.read("no post here"));
  r.badArgument = await code(alice.unlock(42, "x"));
  r.badAudience = await code(alice.compose({ author: a.fingerprint, text: "x", audience: "friends" }));
  r.badOptions = await code(newVeil({ relay }));
  try {
    await dave.compose({ author: o.fingerprint, text: "x", audience: "self" });
  } catch (e) {
    r.errorShape = { isError: e instanceof Error, name: e.name, code: e.code, message: e.message };
  }

  // Wallets and tips over the dev chain: Bob binds a new wallet to his (v6)
  // persona; Alice, with the dev chain's funded "alice" key sealed in her
  // wallet, tips a post of his.
  const chainFile = JSON.parse(readFileSync(chainPath, "utf8"));
  const aliceKey = chainFile.accounts.find((x) => x.name === "alice").privateKey;
  r.chainConfig = await alice.setChainConfig(chainFile);
  await bob.setChainConfig(chainFile);
  r.walletImported = await alice.walletImport(aliceKey, "alice's wallet");
  const bobWallet = await bob.walletCreate();
  r.bound = await bob.bindWallet(b.fingerprint, 0, bobWallet.address);
  r.bindingStatus = await alice.walletBindingStatus(b.fingerprint);
  const bobPost = await bob.compose({ author: b.fingerprint, text: "tip me", audience: "public" });
  r.tipNotBound = await code(alice.tip(bobPost.cid, c.fingerprint, "1"));
  r.tip = await alice.tip(bobPost.cid, b.fingerprint, "1000000000000000");
  for (let i = 0; i < 100; i++) {
    r.tipStatus = await alice.tipStatus(r.tip.txHash);
    if (r.tipStatus.status !== "pending") break;
    await new Promise((done) => setTimeout(done, 100));
  }
  // The same tip planned for another wallet is the transaction Alice sent;
  // another amount is not.
  const same = await alice.tipCalls(bobPost.cid, b.fingerprint, "1000000000000000", undefined, r.walletImported.address);
  const other = await alice.tipCalls(bobPost.cid, b.fingerprint, "2", undefined, r.walletImported.address);
  r.tipCalls = same;
  r.tipAsPlanned = await alice.tipStatus(r.tip.txHash, same.calls[0].params);
  r.tipNotPlanned = await alice.tipStatus(r.tip.txHash, other.calls[0].params);
  r.tipCallsNoFrom = await code(alice.tipCalls(bobPost.cid, b.fingerprint, "1"));
  r.tipTotal = await alice.tipTotal(bobPost.cid);
  r.bobBalance = await bob.walletBalance();
  r.bobWallet = bobWallet;
  r.walletKeyStored = [...stores.alice.blobs.values()].some((v) => text.decode(v).toLowerCase().includes(aliceKey.slice(2).toLowerCase()));

  r.exportedHead = (await alice.exportPublicKey(a.fingerprint)).split("\n")[0];
  r.wallet = await alice.walletBinding(a.fingerprint);
  await carol.removeContact(a.fingerprint);
  r.afterRemove = (await carol.read(pub.link)).author;

  // Plaintext never reaches the storage.
  r.plaintextStored = [stores.alice, stores.bob, stores.carol].some((s) =>
    [...s.blobs.values()].some((v) => text.decode(v).includes("hello bob")),
  );
}

try {
  await run();
  nodeProcess.stdout.write(JSON.stringify(r) + "\n", () => nodeProcess.exit(0));
} catch (e) {
  r.failure = String((e && e.stack) || e) + (e && e.code ? " (code " + e.code + ")" : "");
  nodeProcess.stdout.write(JSON.stringify(r) + "\n", () => nodeProcess.exit(1));
}
