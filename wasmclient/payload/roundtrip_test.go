package payload

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// relays are relay arguments for Link and Inline, with the base URL that
// Find reports for each.
var relays = []struct{ arg, base string }{
	{"relay.example", "https://relay.example"},
	{"https://relay.example/", "https://relay.example"},
	{"Veil.Example.ORG:8443", "https://veil.example.org:8443"},
	{"https://www.relay.example:443/x", "https://www.relay.example"},
	{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
	{"http://localhost:7777", "http://localhost:7777"},
	{"http://[::1]:9000", "http://[::1]:9000"},
	{"http://relay.example", "https://relay.example"},
	{"r-1.relay.example", "https://r-1.relay.example"},
	{"192.0.2.1", "https://192.0.2.1"},
	{"[2001:db8::1]:8443", "https://[2001:db8::1]:8443"},
	{"xn--vil-9la.example", "https://xn--vil-9la.example"},
}

func randomCID(t testing.TB, r *rand.Rand) cid.Cid {
	t.Helper()
	data := make([]byte, r.IntN(64))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	code := []uint64{multihash.SHA2_256, multihash.SHA2_512, multihash.BLAKE3, multihash.SHA3_256}[r.IntN(4)]
	h, err := multihash.Sum(data, code, -1)
	if err != nil {
		t.Fatal(err)
	}
	if code == multihash.SHA2_256 && r.IntN(4) == 0 {
		return cid.NewCidV0(h)
	}
	return cid.NewCidV1([]uint64{cid.Raw, cid.DagProtobuf, cid.DagCBOR, cid.DagJSON}[r.IntN(4)], h)
}

// randomPacket frames body as a packet with tag, in one of the header forms
// OpenPGP allows for it.
func randomPacket(r *rand.Rand, tag byte, body []byte) []byte {
	switch r.IntN(4) {
	case 0:
		if tag < 16 {
			// Legacy format, with a one-, two- or four-octet length.
			switch {
			case len(body) < 256 && r.IntN(2) == 0:
				return append([]byte{0x80 | tag<<2, byte(len(body))}, body...)
			case len(body) < 65536 && r.IntN(2) == 0:
				return append([]byte{0x81 | tag<<2, byte(len(body) >> 8), byte(len(body))}, body...)
			}
			n := len(body)
			return append([]byte{0x82 | tag<<2, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
		}
	case 1:
		n := len(body)
		return append([]byte{0xc0 | tag, 255, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
	case 2:
		if tag == tagSEIPD || tag == tagLiteral {
			// Partial body lengths, then a final one.
			b := []byte{0xc0 | tag}
			for {
				p := r.IntN(10)
				if 1<<p >= len(body) {
					break
				}
				b = append(b, 0xe0|byte(p))
				b = append(b, body[:1<<p]...)
				body = body[1<<p:]
			}
			return append(b, packetOf(0, body)[1:]...)
		}
	}
	return packetOf(tag, body)
}

// randomMessage returns an OpenPGP-shaped message of about size bytes: key
// packets and encrypted data, or a one-pass signed literal.
func randomMessage(r *rand.Rand, size int) []byte {
	fill := func(n int) []byte {
		b := make([]byte, max(n, 1))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var msg []byte
	if r.IntN(4) == 0 {
		msg = append(msg, randomPacket(r, tagOnePass, fill(13))...)
		msg = append(msg, randomPacket(r, tagLiteral, fill(size-100))...)
		return append(msg, randomPacket(r, tagSignature, fill(r.IntN(60)+10))...)
	}
	for range r.IntN(4) {
		msg = append(msg, randomPacket(r, []byte{tagPKESK, tagSKESK}[r.IntN(2)], fill(r.IntN(50)+10))...)
	}
	return append(msg, randomPacket(r, []byte{tagSEIPD, tagSEIPD, tagAEAD, tagSED}[r.IntN(4)], fill(size-len(msg)-6))...)
}

// insertInvisible puts characters that Find ignores into s at random, and
// line breaks if wrap is set.
func insertInvisible(r *rand.Rand, s string, wrap bool) string {
	var b strings.Builder
	breaks := 0
	for i := range len(s) {
		if i > 0 && r.IntN(16) == 0 {
			b.WriteString([]string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}[r.IntN(6)])
		}
		if wrap && i > 0 && breaks < 6 && r.IntN(30) == 0 {
			b.WriteString([]string{"\n", "\r\n"}[r.IntN(2)])
			breaks++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// display returns link as a site might show it in running text.
func display(r *rand.Rand, link string) string {
	if r.IntN(2) == 0 {
		link = link[strings.Index(link, "://")+3:]
	}
	pre := []string{"", "see ", "(", "<", "“", "Link: ", "🔥 ", "\n"}[r.IntN(8)]
	post := []string{"", ".", ")", ">", "”", "!", " #veil", "\n\nnext paragraph", ", and", "?"}[r.IntN(10)]
	return pre + link + post
}

func TestLinkRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		relay := relays[r.IntN(len(relays))]
		c := randomCID(t, r)
		link := Link(relay.arg, c)
		if want := relay.base + "/p/" + c.String(); link != want {
			t.Fatalf("Link(%q, %s) = %q, want %q", relay.arg, c, link, want)
		}
		p, err := Parse(link)
		if err != nil || p.Kind != KindLink || !p.CID.Equals(c) || p.Relay != relay.base || p.URL != link {
			t.Fatalf("Parse(%q) = %s, %v", link, describe(p), err)
		}

		// The link as the site shows it, with the cid wrapped or not.
		i := strings.Index(link, "/p/") + 3
		shown := link[:i] + insertInvisible(r, link[i:], r.IntN(2) == 0)
		text := display(r, shown)
		if r.IntN(2) == 0 {
			text = FeedText(text)
		} else {
			text = PublicFeedText(text)
		}
		ps := Find(text)
		if len(ps) != 1 || !ps[0].CID.Equals(c) || ps[0].Relay != relay.base || ps[0].URL != link || ps[0].Truncated {
			t.Fatalf("Find(%q) = %v, want %s", text, ps, link)
		}
		checkPayloads(t, ps)
	}
}

func TestInlineRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		relay := relays[r.IntN(len(relays))]
		msg := randomMessage(r, 20+r.IntN(MaxInline-20))
		if !pgppacket.IsMessage(msg) {
			t.Fatalf("randomMessage made %x", msg)
		}
		link, err := Inline(relay.arg, msg)
		if len(msg) > MaxInline {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Inline of %d bytes: %v", len(msg), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want := relay.base + "/p/#v1." + base64.RawURLEncoding.EncodeToString(msg)
		if link != want {
			t.Fatalf("Inline = %q, want %q", link, want)
		}
		p, err := Parse(link)
		if err != nil || p.Kind != KindInline || !bytes.Equal(p.Message, msg) || p.Relay != relay.base || p.URL != link {
			t.Fatalf("Parse(%q) = %s, %v", link, describe(p), err)
		}

		i := strings.Index(link, "#v1.") + 4
		frag := link[i:]
		if r.IntN(4) == 0 {
			// Standard alphabet, with padding.
			frag = base64.StdEncoding.EncodeToString(msg)
		}
		text := display(r, link[:i]+insertInvisible(r, frag, r.IntN(2) == 0))
		ps := Find(FeedText(text))
		if len(ps) != 1 || !bytes.Equal(ps[0].Message, msg) || ps[0].Relay != relay.base || ps[0].URL != link {
			t.Fatalf("Find(%q) = %v", text, ps)
		}
		checkPayloads(t, ps)

		// Cut short by the site, at any point.
		cut := link[:strings.Index(link, "/p/")+3+r.IntN(len(link)-strings.Index(link, "/p/")-3)] + "…"
		ps = Find(FeedText(cut))
		if len(ps) != 1 || !ps[0].Truncated || ps[0].Message != nil || ps[0].Relay != relay.base {
			t.Fatalf("Find(%q) = %v, want one truncated payload", cut, ps)
		}
	}
}

func TestInlineSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{MaxInline - 1, MaxInline, MaxInline + 1, 4 * MaxInline} {
		var msg []byte
		for len(msg) != n {
			msg = randomMessage(r, n)
		}
		link, err := Inline("relay.example", msg)
		if n > MaxInline {
			if !errors.Is(err, ErrTooLarge) || link != "" {
				t.Errorf("Inline of %d bytes = %q, %v; want ErrTooLarge", n, link, err)
			}
			// The same link made by hand is not read either.
			link = "https://relay.example/p/#v1." + base64.RawURLEncoding.EncodeToString(msg)
			if ps := Find(link); len(ps) != 0 {
				t.Errorf("Find read a message of %d bytes", n)
			}
			if _, err := Parse(link); !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrBadInline) {
				t.Errorf("Parse of a message of %d bytes: %v", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Inline of %d bytes: %v", n, err)
		}
		if ps := Find(FeedText(link)); len(ps) != 1 || !bytes.Equal(ps[0].Message, msg) {
			t.Errorf("Find did not read back %d bytes", n)
		}
	}
}

func TestFindLimits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	for range 100 {
		b.WriteString(FeedText(Link("relay.example", randomCID(t, r))) + "\n")
	}
	if ps := Find(b.String()); len(ps) != maxFound {
		t.Errorf("found %d payloads in 100 posts, want %d", len(ps), maxFound)
	}

	link := Link("relay.example", randomCID(t, r))
	pad := strings.Repeat("lorem ipsum ", maxText/12)
	if ps := Find(link + " " + pad + link); len(ps) != 1 {
		t.Errorf("found %d payloads, want the one in the first MiB", len(ps))
	}
	pad = strings.Repeat("x", maxText-len(link)/2)
	if ps := Find(pad + " " + link); len(ps) != 0 {
		t.Errorf("found %v across the end of the first MiB", ps)
	}
}

// TestFindRandomText runs Find over texts made of the pieces it looks for,
// shuffled: it must not panic, and what it finds must be valid.
func TestFindRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	msg := randomMessage(r, 100)
	b64 := base64.RawURLEncoding.EncodeToString(msg)
	c := randomCID(t, r).String()
	pieces := []string{
		"/p/", "#v1.", "#", "&#35;", "&amp;", "…", "...", ".", ")", "(", "<", ">", "\n", "\r\n", " ", "\u200b", "\u00ad",
		"https://", "http://", "relay.example", "127.0.0.1", ":8080", "[::1]", "www.", "t.co/", "fb.me/", "abc123",
		"l.facebook.com/l.php?u=", "%2Fp%2F", "%23v1.", "&h=", Marker, PublicMarker, "Encrypted with Veil",
		c, c[:10], c[10:], b64, b64[:20], b64[20:], "Qm", "bafk", "=", "+", "/", "é", "🔒", "\xff",
	}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		ps := Find(text)
		checkPayloads(t, ps)
		if t.Failed() {
			t.Fatalf("text %q", text)
		}
		_, _ = Parse(text)
	}
}

func TestParse(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	c := randomCID(t, r)
	for c.Version() == 0 {
		c = randomCID(t, r)
	}
	link := Link("relay.example", c)
	msg := randomMessage(r, 200)
	inline, err := Inline("relay.example", msg)
	if err != nil {
		t.Fatal(err)
	}
	big := randomMessage(r, MaxInline+10)
	for _, tc := range []struct {
		in   string
		kind Kind
		err  error
	}{
		{link, KindLink, nil},
		{"  (" + link + ").\n", KindLink, nil},
		{"( " + link + " )", KindLink, nil},
		{strings.TrimPrefix(link, "https://"), KindLink, nil},
		{link + "?utm_source=x#top", KindLink, nil},
		{c.String(), KindLink, nil},
		{"“" + c.String() + "”.", KindLink, nil},
		{inline, KindInline, nil},
		{"<" + inline + ">", KindInline, nil},
		{"https://t.co/AbC123", KindShortened, nil},
		{"fb.me/x-y_z", KindShortened, nil},
		{"https://l.facebook.com/l.php?u=" + strings.ReplaceAll(strings.ReplaceAll(link, ":", "%3A"), "/", "%2F") + "&h=AT0", KindLink, nil},
		{link[:40] + "…", KindLink, ErrTruncated},
		{inline[:60] + "...", KindInline, ErrTruncated},
		{c.String()[:12] + "…", KindLink, ErrTruncated},
		{c.String()[:12] + "… ).", KindLink, ErrTruncated},

		{"", 0, ErrNotVeil},
		{"hello world", 0, ErrNotVeil},
		{"https://example.com/x", 0, ErrNotVeil},
		{"relay.example", 0, ErrNotVeil},
		{"https://t.co/", 0, ErrNotVeil},
		{"https://t.co/abc/def", 0, ErrNotVeil},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2F", 0, ErrNotVeil},
		{"ftp://relay.example/p/" + c.String(), 0, ErrNotVeil},
		{"text before " + link, 0, ErrNotVeil},
		{link + "/more", 0, ErrNotVeil},
		{"hello", 0, ErrBadCID},
		{"bafkreiNOTACID", 0, ErrBadCID},
		{"relay.example/p/x", 0, ErrBadCID},
		{link + " and text after", 0, ErrBadCID},
		{"relay.example/p/#v1.AAAA", 0, ErrBadInline},
		{"relay.example/p/#v2." + base64.RawURLEncoding.EncodeToString(msg), 0, ErrBadInline},
		{"relay.example/p/#v1." + base64.RawURLEncoding.EncodeToString(big), 0, ErrTooLarge},
		{inline + " trailing", 0, ErrBadInline},
	} {
		p, err := Parse(tc.in)
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q): error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if p.Kind != tc.kind {
			t.Errorf("Parse(%q): %s, want kind %v", tc.in, describe(p), tc.kind)
		}
		if errors.Is(err, ErrTruncated) != p.Truncated {
			t.Errorf("Parse(%q): %s with error %v", tc.in, describe(p), err)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindLink: "link", KindInline: "inline", KindShortened: "shortened", 0: "unknown"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), k, want)
		}
	}
	for _, m := range []string{Marker, PublicMarker} {
		if !strings.HasSuffix(m, needles[needleMarker]) && !strings.HasSuffix(m, needles[needlePublicMarker]) {
			t.Errorf("Find does not look for %q", m)
		}
	}
}

// Packet tags as bytes, for building test messages.
const (
	tagPKESK     = byte(pgppacket.TagPKESK)
	tagSKESK     = byte(pgppacket.TagSKESK)
	tagOnePass   = byte(pgppacket.TagOnePass)
	tagLiteral   = byte(pgppacket.TagLiteral)
	tagSignature = byte(pgppacket.TagSignature)
	tagSEIPD     = byte(pgppacket.TagSEIPD)
	tagAEAD      = byte(pgppacket.TagAEAD)
	tagSED       = byte(pgppacket.TagSED)
)

// packetOf frames body as one OpenPGP-format packet with tag, using the
// shortest length encoding.
func packetOf(tag byte, body []byte) []byte {
	b := []byte{0xc0 | tag}
	switch n := len(body); {
	case n < 192:
		b = append(b, byte(n))
	case n < 8384:
		n -= 192
		b = append(b, byte(n>>8)+192, byte(n))
	default:
		b = append(b, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, body...)
}
