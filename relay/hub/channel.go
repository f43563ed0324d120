package hub

import (
	"strings"

	"github.com/ipfs/go-cid"
)

// Channel names.
const (
	// ChannelDirectory carries directory updates (keys published or revoked).
	ChannelDirectory = "directory"
	// InboxPrefix starts an inbox channel: "inbox:" and a key ID as 16
	// upper-case hex digits. It carries new posts whose key packets name the key.
	InboxPrefix = "inbox:"
	// SharesPrefix starts a shares channel: "shares:" and a post's CIDv1 in
	// its canonical string form. It carries new key packets for the post.
	SharesPrefix = "shares:"

	maxChannelLen = 256
)

// InboxChannel names the inbox channel of a key ID.
func InboxChannel(keyID uint64) string {
	const digits = "0123456789ABCDEF"
	var b [len(InboxPrefix) + 16]byte
	copy(b[:], InboxPrefix)
	for i := len(b) - 1; i >= len(InboxPrefix); i-- {
		b[i] = digits[keyID&0xF]
		keyID >>= 4
	}
	return string(b[:])
}

// SharesChannel names the shares channel of a post.
func SharesChannel(c cid.Cid) string { return SharesPrefix + c.String() }

// ValidChannel reports whether name is a channel a client may subscribe to:
// "inbox:<16 upper-hex key id>", "shares:<CIDv1 string>" (canonical form, as
// cid.Cid.String writes it) or "directory".
func ValidChannel(name string) bool {
	if len(name) > maxChannelLen {
		return false
	}
	switch {
	case name == ChannelDirectory:
		return true
	case strings.HasPrefix(name, InboxPrefix):
		id := name[len(InboxPrefix):]
		if len(id) != 16 {
			return false
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; (c < '0' || c > '9') && (c < 'A' || c > 'F') {
				return false
			}
		}
		return true
	case strings.HasPrefix(name, SharesPrefix):
		s := name[len(SharesPrefix):]
		c, err := cid.Decode(s)
		// One name per post: only the canonical string of a CIDv1.
		return err == nil && c.Version() == 1 && c.String() == s
	}
	return false
}
