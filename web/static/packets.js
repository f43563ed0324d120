// A reader of the public parts of an OpenPGP message (RFC 9580, 4.2 and
// 5.1): the packets before the encrypted data, which say to whom the
// message is encrypted, or that it is signed and not encrypted. It reads
// headers and key packets only; it decrypts nothing and checks nothing
// (the wasm client does that).

const TAG = { PKESK: 1, SIGNATURE: 2, SKESK: 3, OPS: 4, COMPRESSED: 8, SED: 9, LITERAL: 11, SEIPD: 18, AEAD: 20, PADDING: 21 };

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/**
 * Splits bytes into packets: [{tag, body (Uint8Array), partial}]. It stops
 * at the first packet whose length is partial or indeterminate (the
 * encrypted or literal data, which runs to the end) and at the end of the
 * bytes; a packet cut off there has truncated: true.
 */
export function packets(bytes) {
  const out = [];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if ((b & 0x80) === 0) throw new Error("not an OpenPGP message (byte " + i + ")");
    let tag;
    let len;
    let partial = false;
    let j = i + 1;
    if (b & 0x40) {
      tag = b & 0x3f;
      const l0 = bytes[j++];
      if (l0 === undefined) break;
      if (l0 < 192) len = l0;
      else if (l0 < 224) {
        if (j >= bytes.length) break;
        len = ((l0 - 192) << 8) + bytes[j++] + 192;
      } else if (l0 === 255) {
        if (j + 4 > bytes.length) break;
        len = ((bytes[j] << 24) >>> 0) + (bytes[j + 1] << 16) + (bytes[j + 2] << 8) + bytes[j + 3];
        j += 4;
      } else {
        len = 1 << (l0 & 0x1f);
        partial = true;
      }
    } else {
      tag = (b >> 2) & 0x0f;
      const lt = b & 3;
      const n = [1, 2, 4, 0][lt];
      if (j + n > bytes.length) break;
      if (lt === 3) {
        len = bytes.length - j;
        partial = true;
      } else {
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + bytes[j + k];
        j += n;
      }
    }
    const end = Math.min(j + len, bytes.length);
    out.push({ tag, body: bytes.subarray(j, end), partial, truncated: j + len > bytes.length });
    if (partial || j + len >= bytes.length) break;
    i = j + len;
  }
  return out;
}

/**
 * The recipient named by a PKESK packet body: {keyId, fingerprint,
 * version, algorithm, hidden}. keyId is 16 hex digits ("" if unknown),
 * fingerprint the v6 packet's fingerprint when it names one; hidden is true
 * for a wildcard (anonymous) recipient.
 */
export function recipient(body) {
  const v = body[0];
  if (v === 3 && body.length >= 10) {
    const keyId = hex(body.subarray(1, 9));
    return { version: 3, keyId, fingerprint: "", algorithm: body[9], hidden: /^0+$/.test(keyId) };
  }
  if (v === 6 && body.length >= 2) {
    const n = body[1];
    if (n === 0) return { version: 6, keyId: "", fingerprint: "", algorithm: body[2], hidden: true };
    const keyVersion = body[2];
    const fpr = hex(body.subarray(3, 2 + n));
    // A v4 key's ID is the end of its fingerprint, a v6 key's the start.
    const keyId = keyVersion === 4 ? fpr.slice(-16) : fpr.slice(0, 16);
    return { version: 6, keyId, fingerprint: fpr, algorithm: body[2 + n], hidden: false };
  }
  return { version: v, keyId: "", fingerprint: "", algorithm: 0, hidden: false };
}

/** The signer named by a one-pass signature packet: {keyId, fingerprint}. */
function onePassSigner(body) {
  if (body[0] === 3 && body.length >= 12) return { keyId: hex(body.subarray(4, 12)), fingerprint: "" };
  if (body[0] === 6 && body.length >= 5) {
    const salt = body[4];
    const fpr = hex(body.subarray(5 + salt, 5 + salt + 32));
    return { keyId: fpr.slice(0, 16), fingerprint: fpr };
  }
  return { keyId: "", fingerprint: "" };
}

/**
 * What the start of a message says about it:
 * {kind: "encrypted"|"signed"|"unknown", recipients: [recipient…],
 *  passwords: n, signers: [{keyId, fingerprint}], data: "SEIPD v2"…}.
 * bytes may be only the message's beginning.
 */
export function describe(bytes) {
  const d = { kind: "unknown", recipients: [], passwords: 0, signers: [], data: "" };
  for (const p of packets(bytes)) {
    switch (p.tag) {
      case TAG.PKESK:
        if (!p.truncated) d.recipients.push(recipient(p.body));
        break;
      case TAG.SKESK:
        d.passwords++;
        break;
      case TAG.SEIPD:
        d.kind = "encrypted";
        d.data = "SEIPD v" + p.body[0];
        return d;
      case TAG.AEAD:
        d.kind = "encrypted";
        d.data = "AEAD";
        return d;
      case TAG.SED:
        d.kind = "encrypted";
        d.data = "SED (no integrity protection)";
        return d;
      case TAG.OPS:
        d.kind = "signed";
        d.signers.push(onePassSigner(p.body));
        break;
      case TAG.SIGNATURE:
      case TAG.COMPRESSED:
      case TAG.LITERAL:
        if (d.kind === "unknown" && d.recipients.length === 0) d.kind = p.tag === TAG.LITERAL ? "unknown" : "signed";
        return d;
      case TAG.PADDING:
        break;
      default:
        return d;
    }
  }
  return d;
}

/** Key packets (PKESK) only, as a share carries them: the recipients. */
export function shareRecipients(bytes) {
  return packets(bytes)
    .filter((p) => p.tag === TAG.PKESK && !p.truncated)
    .map((p) => recipient(p.body));
}

/** base64url (no padding) or base64 → bytes. */
export function decodeBase64(s) {
  s = s.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  while (s.length % 4) s += "=";
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
