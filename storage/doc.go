// Package storage is the relay's ciphertext store on boxo: it keeps the
// binary OpenPGP messages that clients upload as IPFS blocks in a leveldb
// datastore under the node's data directory, addressed by CIDv1 with
// sha2-256, so that the relay's HTTP API, the IPFS trustless gateway and
// (later) bitswap serve the same bytes under the same names.
//
// A blob up to Config.RawLimit is one raw block; a larger one becomes a
// UnixFS file (balanced layout, 256 KiB raw leaves, dag-pb inner nodes —
// what `ipfs add --cid-version=1` makes), imported from the upload as it
// streams in, so memory stays bounded by a few chunks whatever the blob's
// size. The same bytes always give the same CID: a second upload of them
// only adds a pin.
//
// Durability: Put returns only once the blob's blocks and its pin are on
// disk (a synced leveldb write). Concurrent writes are grouped: one
// goroutine, the commit loop, gathers whatever requests are waiting, applies
// them to one leveldb batch and syncs it once, and every caller in that
// batch returns together (group commit). Every write of this package —
// blocks, pins, per-owner usage, the store's counters, GC's deletions —
// goes through that loop, so a batch is applied atomically and the counters
// never drift from the data, also across a crash.
//
// Pins are counted per owner (an opaque string such as "ip:1.2.3.4" or
// "key:<fingerprint>"): a blob stays while any owner pins it, and an owner's
// usage is the sum of the sizes of the blobs it pins. Quotas limit the bytes
// an owner pins and the bytes stored in all. GC removes every block that no
// pinned blob reaches; blocks shared by two DAGs stay while either is
// pinned. GC stops no one: the commit loop checks each deletion against the
// pins, and blocks that an upload or a Pin under way relies on are kept.
//
// Reads verify: every block is hashed against its CID as it is read, through
// Open and through Blockstore alike. A block that does not match is logged,
// counted (veil_storage_corrupt_blocks_total) and reported as ErrCorrupt;
// its bytes are never returned.
//
// Layout of the leveldb keys (one database, Dir/blocks):
//
//	/blocks/<multihash, dshelp form>   block bytes (boxo's blockstore layout)
//	/blobs/<cid>                       size and pin count of a pinned blob
//	/pins/<cid>/<owner, base64url>     one owner's pin
//	/owners/<owner, base64url>         bytes the owner pins
//	/stats                             blobs, blocks and bytes stored
//	/meta/…                            the relay's own metadata (Datastore)
package storage
