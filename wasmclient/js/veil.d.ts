// The JavaScript face of Veil's client core (wasmclient/js, compiled with
// GOOS=js GOARCH=wasm). Load wasm_exec.js (from the Go toolchain), run
// veil.wasm with it, then call the one exported constructor:
//
//   const go = new Go();
//   const { instance } = await WebAssembly.instantiateStreaming(fetch("veil.wasm"), go.importObject);
//   go.run(instance);                       // never resolves: the client keeps running
//   const veil = await newVeil({ storage, relay: "https://relay.example" });
//
// Every method returns a Promise. A rejected Promise carries a VeilError.
// Plaintext and secret keys stay inside the wasm and the storage the caller
// gives it; nothing here sends them anywhere but to the caller.
//
// wasmclient/js/bridge_js.go implements this file and wasmclient/session does
// the work (its Go types carry the JSON names below); integration/bridge_test.go
// runs it all in Node.js against a real relay. Change the three together.

export {};

declare global {
  /** Set by veil.wasm once it runs. */
  function newVeil(options: VeilOptions): Promise<Veil>;
}

/** Where the client keeps personas and contacts: chrome.storage.local, IndexedDB or memory. */
export interface VeilStorage {
  get(name: string): Promise<Uint8Array | null>;
  set(name: string, data: Uint8Array): Promise<void>;
  remove(name: string): Promise<void>;
  /** Names that start with prefix (e.g. "personas/"). */
  list(prefix: string): Promise<string[]>;
}

export interface VeilOptions {
  storage: VeilStorage;
  /** Base URL of the relay posts are uploaded to and keys looked up on. */
  relay: string;
}

export interface VeilError extends Error {
  /** Stable code: "locked", "not-for-you", "key-unavailable", "relay-unreachable",
   *  "bad-signature", "corrupt", "unsupported", "not-found", "bad-input", "wrong-passphrase", "internal",
   *  and from the wallet methods "not-bound" (a tip to an author without a two-way bound account on the
   *  chain), "chain-unreachable" (the chain's RPC endpoint) and "chain-error" (the chain refused: no funds,
   *  a revert, a nonce taken). "internal" is anything else, such as a relay refusing a request (rate limit,
   *  quota); the message says what. Its name is "VeilError". */
  code: string;
}

export interface Handle {
  site: string; // "twitter", "facebook", …
  handle: string;
}

export interface PersonaInfo {
  fingerprint: string; // upper-case hex
  name: string;
  email?: string;
  handles: Handle[];
  profile: "v4" | "v6";
  /** True while a passphrase-protected persona is not unlocked in this session. */
  locked: boolean;
  /** True when the stored key is passphrase-protected (only such a persona can be locked). */
  protected: boolean;
}

export interface ContactInfo {
  fingerprint: string;
  name: string;
  email?: string;
  handles: Handle[];
  /** How the key was verified: "proof" (a profile's openpgp4fpr proof was checked), "manual", or "". */
  verified: string;
}

export interface KeyInfo {
  fingerprint: string;
  name: string;
  email?: string;
  handles: Handle[];
  armored: string;
}

export interface ComposeRequest {
  /** Fingerprint of the author's persona. */
  author: string;
  text: string;
  /** "contacts": to `to` (and the author); "self": only the author; "public": signed, not encrypted. */
  audience: "contacts" | "self" | "public";
  /** Contact fingerprints, for audience "contacts". */
  to?: string[];
  /** Where the post goes, for the post's document. */
  site?: string;
  handle?: string;
  /** Hide the recipients' key IDs. */
  hidden?: boolean;
  /** Carry the whole message in the link when it fits (2 KiB); it is stored on the relay all the same. */
  inline?: boolean;
}

export interface ComposeResult {
  cid: string;
  /** The link to the post on the relay (https://relay/p/<cid>). */
  link: string;
  /** What goes into the site's composer: a short line and the link. */
  feedText: string;
}

export interface Signer {
  fingerprint: string;
  name?: string;
  /** "good": signature valid from a known key; "unknown-key": signer's key not found; "bad": invalid. */
  status: "good" | "unknown-key" | "bad";
  /** The signer is a contact whose key was verified. */
  verified: boolean;
}

export interface ReadResult {
  /** "ok", or why the post cannot be shown. Never throws for these; throws only for bad input.
   *  "key-unavailable": the persona that can open it is locked (unlock it and read again);
   *  "not-found": the relay does not have the post. */
  status: "ok" | "not-for-you" | "key-unavailable" | "relay-unreachable" | "bad-signature" | "corrupt" | "unsupported" | "not-found";
  cid?: string;
  /** Plaintext: render it as text, never as HTML. */
  text?: string;
  created?: string; // RFC 3339
  author?: Signer;
  /** Who the post is encrypted to, as far as the reader can tell (key packets and shares): the fingerprint
   *  of a persona or contact whose key it is, else the key's 16-digit key ID; "hidden" for a hidden one. */
  audience?: string[];
  /** The post was signed but not encrypted. */
  public?: boolean;
  /** A human-readable explanation for a status other than "ok". */
  message?: string;
}

/** A wallet of this client: a secp256k1 key kept in the storage, sealed when it has a passphrase. */
export interface WalletInfo {
  address: string; // 0x…, EIP-55 checksummed
  protected: boolean;
  /** True while a protected wallet is not unlocked in this session. */
  locked: boolean;
}

/** The chain tips go over: `veil devchain`'s file (docs/CHAIN.md) without its accounts. */
export interface ChainConfig {
  chainId: number;
  rpc: string;
  contracts: { tips: string; token?: string; registry?: string };
}

/** A key's wallet binding (docs/CHAIN.md "Wallet binding"). */
export interface BindingStatus {
  /** The account the key names, CAIP-10 ("eip155:1337:0x…"); absent when it names none. */
  account?: string;
  /** The account also signed the key's fingerprint: tips may go to it. */
  twoWay: boolean;
  /** Why it is not two-way. */
  reason?: string;
}

/** Amounts are strings of decimal digits in the smallest unit (wei; 10^-18 VEIL). */
export interface TipResult {
  txHash: string;
  /** The token approval sent (and mined) first, when the allowance was short. */
  approveTxHash?: string;
  /** The author's account the tip went to, CAIP-10. */
  account: string;
}

/** eth_sendTransaction's parameter object (EIP-1193): hex strings; the wallet picks nonce, fees and gas. */
export interface TxParams {
  from: string;
  to: string;
  value?: string;
  data?: string;
}

/** A tip for a wallet outside Veil (the page's) to sign and send: each call once the one before is mined. */
export interface TipPlan {
  /** The author's account the tip goes to, CAIP-10. */
  account: string;
  /** The chain the wallet must be on. */
  chainId: number;
  calls: { kind: "approve" | "tip"; params: TxParams }[];
}

export interface Veil {
  /** Personas */
  /** With a passphrase the persona is stored protected, and unlocked in this session. */
  createPersona(req: { name: string; email?: string; passphrase?: string; profile?: "v4" | "v6"; handles?: Handle[] }): Promise<PersonaInfo>;
  listPersonas(): Promise<PersonaInfo[]>;
  /** Import an existing armored secret key (e.g. into the relay's post viewer); with a passphrase it is
   *  unlocked at once, without one a protected key is stored locked. One key at a time; a public key is
   *  "bad-input". */
  importPersona(armoredSecret: string, passphrase?: string): Promise<PersonaInfo>;
  unlock(fingerprint: string, passphrase: string): Promise<void>;
  lock(fingerprint: string): Promise<void>;
  /** Armored public key of a persona (or of a contact). */
  exportPublicKey(fingerprint: string): Promise<string>;
  /** One passphrase-encrypted OpenPGP backup of every persona, contact and wallet, and the chain settings. */
  backup(passphrase: string): Promise<Uint8Array>;
  /** Also restores the backup's wallets that are not here, and its chain settings when none are set. */
  restore(data: Uint8Array, passphrase: string): Promise<{ personas: number; contacts: number; wallets: number }>;
  /** Publish a persona's public key to the relay's directory. */
  publishKey(fingerprint: string): Promise<void>;
  /** The wallet address a persona's (or contact's) key binds (its wallet notation), if any. */
  walletBinding(fingerprint: string): Promise<{ address?: string }>;

  /** Wallets and tips. A wallet's key never leaves the client; amounts are decimal strings of wei. */
  /** With a passphrase the key is stored sealed, and unlocked in this session. */
  walletCreate(passphrase?: string): Promise<WalletInfo>;
  /** Import a private key (64 hex digits, 0x optional). */
  walletImport(privateKey: string, passphrase?: string): Promise<WalletInfo>;
  walletList(): Promise<WalletInfo[]>;
  walletUnlock(address: string, passphrase: string): Promise<void>;
  walletLock(address: string): Promise<void>;
  /** Balances on the configured chain (of the only wallet when address is left out). */
  walletBalance(address?: string): Promise<{ native: string; token?: string }>;
  /** Bind a persona and a wallet both ways: the wallet signs the fingerprint, the key names the account on
   *  chainId (0: the configured chain's) in a new self-signature; stored, then published on the relay. A
   *  protected persona needs its passphrase. A failed publish leaves the binding stored (publishKey again). */
  bindWallet(fingerprint: string, chainId: number, address: string, passphrase?: string): Promise<{ account: string; published: boolean; publishError?: string }>;
  /** The binding of a persona's or contact's key, or of the relay directory's copy when that is bound. */
  walletBindingStatus(fingerprint: string): Promise<BindingStatus>;
  /** null until setChainConfig. */
  chainConfig(): Promise<ChainConfig | null>;
  /** Checks and stores the chain (a dev chain file's accounts are ignored); returns it with checksummed addresses. */
  setChainConfig(config: ChainConfig): Promise<ChainConfig>;
  /** Tip the author of a post (cid) through the Tips contract: only to an account bound to the author's key
   *  both ways on the configured chain ("not-bound" otherwise). token: an ERC-20 address, left out for the
   *  native coin; from: the paying wallet, left out for the only one. Resolves once sent (tipStatus follows). */
  tip(cid: string, author: string, amount: string, token?: string, from?: string): Promise<TipResult>;
  /** The same checks as tip, and the transactions for the wallet at from (required) to send itself; nothing is
   *  signed or sent. */
  tipCalls(cid: string, author: string, amount: string, token: string | undefined, from: string): Promise<TipPlan>;
  /** "pending" also covers a transaction the endpoint does not know (yet). With expect (a TipPlan call's
   *  params, as sent), a transaction that is not that call is "failed", and message says how it differs. */
  tipStatus(txHash: string, expect?: TxParams): Promise<{ status: "pending" | "confirmed" | "failed"; blockNumber?: number; message?: string }>;
  /** What a post received: native coin, the configured token, and the number of tips. */
  tipTotal(cid: string): Promise<{ native: string; token?: string; count: number }>;

  /** Contacts and key discovery */
  addContact(armored: string, handle?: Handle): Promise<ContactInfo>;
  listContacts(): Promise<ContactInfo[]>;
  removeContact(fingerprint: string): Promise<void>;
  /** Look keys up on the relay by exactly one of handle, email or fingerprint; none found is []. What a
   *  directory returns is the keys' own say-so: check a handle with checkProof. */
  resolveKeys(query: { handle?: Handle; email?: string; fingerprint?: string }): Promise<KeyInfo[]>;
  /** Whether profile text (a bio) carries an openpgp4fpr: proof of this fingerprint; when the key is a
   *  contact known by that handle (its own claim or addContact's), it is marked verified ("proof"). */
  checkProof(profileText: string, fingerprint: string, handle?: Handle): Promise<boolean>;

  /** Posts */
  compose(req: ComposeRequest): Promise<ComposeResult>;
  /** The post's binary OpenPGP message, encrypted and signed exactly as compose makes it, without uploading
   *  it anywhere (inline has no say). */
  seal(req: ComposeRequest): Promise<Uint8Array>;
  /** Decrypt and verify a post's message in hand (from seal, or as a relay stores it), as read does after
   *  fetching one; nothing is fetched and no shares are applied. cid is the message's CID as a relay stores
   *  it. An empty message is "bad-input". */
  open(message: Uint8Array): Promise<ReadResult>;
  /** Veil payloads (links or inline forms) found in text, in order. Links the site cut short with an
   *  ellipsis, and its own short links (t.co) after a Veil marker, are left out: a browser cannot follow a
   *  short link's redirect, so read the link the page shows for it, or the anchor's href. */
  findPayloads(text: string): Promise<string[]>;
  /** Fetch (or decode, for inline forms), decrypt and verify a payload from findPayloads. */
  read(payload: string): Promise<ReadResult>;
  /** Let more contacts read a post the persona wrote: publishes a share on the relay. cid may also be the
   *  post's link. "bad-input" when the persona is not the post's author or the post is public. */
  addRecipients(cid: string, author: string, to: string[]): Promise<{ index: number }>;
}
