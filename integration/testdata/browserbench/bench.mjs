// Veil's client core (veil.wasm through its bridge, wasmclient/js/veil.d.ts)
// beside OpenPGP.js, in the same page, on the same keys and the same
// messages. integration/browserbench_test.go gives the keys (made in Go with
// wasmclient/persona) to bench.setup and reads the samples bench.run returns.
//
// The four operations, each timed alone with performance.now():
//   veilOpen     reader.open(message): Veil decrypts and verifies the post
//                Veil sealed (bytes in hand, as read does after fetching).
//   openpgpOpen  readMessage + decrypt with verificationKeys and expectSigned,
//                on the same message with the same reader's key.
//   veilSeal     writer.seal(request): the post to 10 contacts, encrypted to
//                them and to the author and signed, as compose makes it.
//   openpgpSeal  createMessage + encrypt of the same document (the bytes Veil
//                signs) to the same 10 keys and the author's, signed with the
//                author's key.
import * as openpgp from "/openpgp.min.mjs";

const ready = (async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch("/veil.wasm"), go.importObject);
  go.run(instance);
})();

let ops = null;

/** setup imports the keys into two Veil sessions and into OpenPGP.js, makes
 *  the messages and checks that each side reads the other's. */
async function setup({ author, recipients, text }) {
  await ready;
  const relay = location.origin; // seal and open never ask it
  const writer = await newVeil({ storage: memoryStorage(), relay });
  const a = await writer.importPersona(author.secret);
  const to = [];
  for (const r of recipients) to.push((await writer.addContact(r.public)).fingerprint);
  const reader = await newVeil({ storage: memoryStorage(), relay });
  const readerPersona = await reader.importPersona(recipients[0].secret);
  await reader.addContact(author.public);

  const request = { author: a.fingerprint, text, audience: "contacts", to };
  const veilMessage = await writer.seal(request);

  const signingKeys = await openpgp.readPrivateKey({ armoredKey: author.secret });
  const authorPublic = await openpgp.readKey({ armoredKey: author.public });
  const recipientKeys = await Promise.all(recipients.map((r) => openpgp.readKey({ armoredKey: r.public })));
  // Veil encrypts every post to its author too: so does OpenPGP.js here.
  const encryptionKeys = [...recipientKeys, authorPublic];
  const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: recipients[0].secret });

  const openpgpOpen = async (bytes) => {
    const message = await openpgp.readMessage({ binaryMessage: bytes });
    const { data } = await openpgp.decrypt({
      message, decryptionKeys, verificationKeys: authorPublic, expectSigned: true, format: "binary",
    });
    return data;
  };
  const doc = await openpgpOpen(veilMessage);
  const openpgpSeal = async () => {
    const message = await openpgp.createMessage({ binary: doc });
    return openpgp.encrypt({ message, encryptionKeys, signingKeys, format: "binary" });
  };
  const openpgpMessage = await openpgpSeal();

  const veilReadsVeil = await reader.open(veilMessage);
  const veilReadsOpenPGP = await reader.open(openpgpMessage);
  const openpgpReadsOpenPGP = await openpgpOpen(openpgpMessage);
  const docText = JSON.parse(new TextDecoder().decode(doc)).text;
  const same = (r) => r.status === "ok" && r.text === text && r.author && r.author.status === "good" && r.author.fingerprint === a.fingerprint;
  if (docText !== text || !same(veilReadsVeil) || !same(veilReadsOpenPGP) ||
      openpgpReadsOpenPGP.length !== doc.length || veilReadsVeil.audience.length !== recipients.length + 1) {
    throw new Error("the two do not read each other's messages: " + JSON.stringify({
      openpgpReadsVeil: docText === text, veilReadsVeil, veilReadsOpenPGP,
    }));
  }

  // Whether this Chromium gives OpenPGP.js X25519 and Ed25519 in WebCrypto
  // (else it falls back to its own JavaScript).
  const supported = (algorithm, usages) =>
    crypto.subtle.generateKey(algorithm, false, usages).then(() => true, () => false);
  const webCrypto = {
    x25519: await supported("X25519", ["deriveBits"]),
    ed25519: await supported("Ed25519", ["sign", "verify"]),
  };

  ops = {
    veilOpen: async () => {
      const r = await reader.open(veilMessage);
      if (r.status !== "ok") throw new Error("veil open: " + r.status);
    },
    openpgpOpen: () => openpgpOpen(veilMessage),
    veilSeal: () => writer.seal(request),
    openpgpSeal,
  };
  return {
    author: a.fingerprint,
    reader: readerPersona.fingerprint,
    textBytes: new TextEncoder().encode(text).length,
    documentBytes: doc.length,
    veilMessageBytes: veilMessage.length,
    openpgpMessageBytes: openpgpMessage.length,
    keyPackets: veilReadsVeil.audience.length,
    openpgpVersion: openpgp.config.versionString,
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    webCryptoX25519: webCrypto.x25519,
    webCryptoEd25519: webCrypto.ed25519,
  };
}

/** run warms each operation up, then times them in turns (one of each per
 *  round, so that a busy moment of the machine falls on all four) and
 *  returns each one's times in milliseconds. */
async function run({ warmup, iterations }) {
  if (!ops) throw new Error("bench.setup has not run");
  for (const op of Object.values(ops)) {
    for (let i = 0; i < warmup; i++) await op();
  }
  const samples = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
  for (let i = 0; i < iterations; i++) {
    for (const [name, op] of Object.entries(ops)) {
      const t0 = performance.now();
      await op();
      samples[name].push(performance.now() - t0);
    }
  }
  return samples;
}

globalThis.bench = { ready, setup, run };
