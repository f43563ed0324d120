// Package federation joins a relay to the relays of other operators over
// libp2p: they gossip post announcements and directory records, fetch each
// other's blobs by bitswap, and reconcile what they hold after a restart
// or a partition, so that nothing published while a relay was cut off is
// missing once it is back.
//
// A Node is built from a Config (New) and wired into the relay by hooks:
// the relay calls Announce after a local upload and PublishKey after a
// local directory change; the node calls OnAnnouncement for each new
// announcement from the network (the relay publishes inbox events, and
// may Fetch and pin the blob) and OnKeyRecord for each new key record (the
// relay submits it to its directory). Close leaves the network.
//
// # Entries
//
// Everything a node publishes is an entry of its log, numbered 1, 2, 3, …
// by the node (its origin) and signed with the node's Ed25519 key (the key
// of its peer ID, kept in Config.KeyFile):
//
//	version (1 byte, 1) | signature (64 bytes) | body (JSON)
//
// The signature covers "veil federation entry v1\n" followed by the body.
// The body holds the origin's peer ID, the seq, the kind ("post" or "key"),
// the time (unix milliseconds) and either an announcement (CID, recipient
// key IDs as 16 upper-case hex digits, size, the origin's addresses) or a
// key record (an OpenPGP public key, base64). Because entries are signed
// by their origin, any node may pass on any other's: over gossip, over
// sync, in any order.
//
// Decoding is strict: the body must be exactly what encoding/json writes
// for its fields (no unknown or duplicate fields, no extra space), the CID
// a canonical CIDv1, raw or dag-pb, sha2-256, at most MaxRecipients
// recipients, an announcement at most MaxAnnouncementSize bytes, a key
// record at most MaxKeyRecordSize with a key of at most MaxKeySize that
// parses as one OpenPGP public key with a valid self-signature (revoked
// keys pass, secret key material never). These limits are constants of
// the protocol version: relays must agree on them.
//
// # Gossip
//
// Announcements go on the gossipsub topic TopicAnnounce, key records on
// TopicKeys. A message's ID is the SHA-256 of its data, so the same entry
// is one message whoever forwards it; a relay's own entries are flooded to
// every topic peer. Every message, local ones too, goes through the
// topic's validator, which rejects (and so costs the peer that forwarded
// it gossipsub score: P4, weight -10 per message squared, decaying over 30
// minutes) what is not a valid entry and what is over the forwarding
// peer's rate (Config.PeerRate, PeerBurst). An entry over its origin's
// rate (Config.OriginRate, OriginBurst) is rejected when the origin itself
// sent it and ignored, without penalty, when another peer passed it on:
// the flooder pays, not its neighbours' neighbours. An entry the node
// holds already is ignored too. Three or four rejections take a peer
// below the graylist threshold, and the node stops listening to it.
// Mesh-delivery penalties are off, since the topics are quiet most of the
// time. Whatever is dropped comes later by sync.
//
// # Reconciliation
//
// Each node keeps every entry it holds in Config.Datastore (see log.go
// for the layout) with, per origin, its head: the highest seq up to which
// it holds all of that origin's entries. When it connects to a relay (and
// every Config.SyncInterval) it pulls over ProtocolSync: it sends its
// heads, the peer replies with every entry it holds above them, in
// bounded batches, and the node asks again until nothing is left. A node
// that learnt something by a pull tells its other peers its heads, and
// those behind pull from it in turn; so entries cross any number of hops
// after a partition heals. Own entries are written (a synced write on the
// relay's store) before they are gossiped, so a seq is never reused and a
// crash loses nothing peers could miss. A node that lost its datastore
// but kept its key takes its own entries back from the first peer it
// syncs with. Gossip misses what is published while two peers are still
// exchanging subscriptions, so a node pulls from a new peer twice: when
// it connects and syncSettle later.
//
// # Blocks
//
// Bitswap serves Config.Blockstore to any peer and Fetch writes what it
// gets there. Announcements carry the origin's addresses, so Fetch can
// connect to the origin even when it is not a direct peer.
//
// # Peers
//
// Config.Peers are dialed at start and redialed with backoff whenever
// their connection drops; the connection manager never trims them. mDNS
// (Config.MDNS) finds relays on the LAN. Peers reports connected relays.
package federation
