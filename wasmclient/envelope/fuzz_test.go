package envelope

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// The fuzz targets feed arbitrary bytes to everything in this package that
// reads a message. They hold the package to its promises: it never panics on
// input, every failure is an *Error of a known kind, Decrypt writes nothing
// on failure, and what it does release is authentic: an encrypted message
// (or a good signature) only ever yields plaintext that one of the real
// seed messages carried, since the fuzzer holds no key and cannot forge an
// integrity check or a signature.
//
// The fixture keys are derived from fixed seeds, so every fuzzing worker
// process has the same keyring and the seed messages decrypt in all of
// them. The seed messages themselves are made once per process; their
// password packets use the cheapest S2K so the fuzz loop stays fast.

// fuzzPassword opens the password seeds.
var fuzzPassword = []byte("fuzz password")

// fuzzTime is the keys' creation time.
var fuzzTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fuzzFixture struct {
	alice, bob, carol, six, seven *openpgp.Entity // secret keys
	keyring                       openpgp.EntityList
	// messages are the seeds, by name.
	messages map[string][]byte
	// shares are seeds for a message and the share that opens it.
	shares map[string][2][]byte
	// plaintexts holds every plaintext a seed carries (encrypted or
	// signed); posts every post text.
	plaintexts map[string]bool
	posts      map[string]bool
	// authors are the fingerprints of the keys that signed seeds.
	authors map[string]bool
}

var (
	fuzzOnce sync.Once
	fuzzFix  *fuzzFixture
	fuzzErr  error
)

// detKey makes a persona from a fixed seed: the same key in every process.
func detKey(name string, profile persona.Profile) (*openpgp.Entity, error) {
	seed := sha256.Sum256([]byte("veil fuzz key " + name))
	p, err := persona.New(persona.Options{
		Name: name, Email: strings.ToLower(name) + "@example.org", Profile: profile,
		Time: func() time.Time { return fuzzTime },
		Rand: mrand.NewChaCha8(seed),
	})
	if err != nil {
		return nil, err
	}
	return p.Entity(), nil
}

func getFuzzFixture(tb testing.TB) *fuzzFixture {
	tb.Helper()
	fuzzOnce.Do(func() { fuzzFix, fuzzErr = makeFuzzFixture(tb) })
	if fuzzErr != nil {
		tb.Fatal(fuzzErr)
	}
	return fuzzFix
}

func makeFuzzFixture(tb testing.TB) (*fuzzFixture, error) {
	fx := &fuzzFixture{
		messages: map[string][]byte{}, shares: map[string][2][]byte{},
		plaintexts: map[string]bool{}, posts: map[string]bool{}, authors: map[string]bool{},
	}
	var err error
	for _, k := range []struct {
		e       **openpgp.Entity
		name    string
		profile persona.Profile
	}{
		{&fx.alice, "Alice", persona.ProfileV4}, {&fx.bob, "Bob", persona.ProfileV4},
		{&fx.carol, "Carol", persona.ProfileV4}, {&fx.six, "Six", persona.ProfileV6},
		{&fx.seven, "Seven", persona.ProfileV6},
	} {
		if *k.e, err = detKey(k.name, k.profile); err != nil {
			return nil, err
		}
	}
	pub := func(e *openpgp.Entity) *openpgp.Entity { return public(tb, e) }
	// The reader: Bob's and Six's secret keys, Alice's and Seven's
	// certificates. Posts to Carol or Seven open only through a share.
	fx.keyring = openpgp.EntityList{fx.bob, fx.six, pub(fx.alice), pub(fx.seven)}

	post := func(name, text string, author *openpgp.Entity, to []*openpgp.Entity, opts *PostOptions) ([]byte, error) {
		var buf bytes.Buffer
		p := Post{Text: text, Site: "twitter", Handle: "alice", Created: fuzzTime.Add(time.Hour)}
		if err := SealPost(&buf, p, author, to, opts); err != nil {
			return nil, err
		}
		fx.posts[text] = true
		fx.authors[persona.Fingerprint(author)] = true
		// The plaintext of a post is its JSON document.
		var doc bytes.Buffer
		if _, err := Decrypt(bytes.NewReader(buf.Bytes()), &doc, &OpenOptions{Keyring: openpgp.EntityList{fx.alice, fx.carol, fx.six, fx.seven}}); err != nil {
			return nil, err
		}
		fx.plaintexts[doc.String()] = true
		if name != "" {
			fx.messages[name] = buf.Bytes()
		}
		return buf.Bytes(), nil
	}
	if _, err := post("post", "a private post", fx.alice, []*openpgp.Entity{pub(fx.bob)}, nil); err != nil {
		return nil, err
	}
	if _, err := post("public", "a public post", fx.alice, nil, &PostOptions{Audience: Public}); err != nil {
		return nil, err
	}
	if _, err := post("hidden", "a post to hidden readers", fx.alice, []*openpgp.Entity{pub(fx.carol), pub(fx.bob)}, &PostOptions{Hidden: true}); err != nil {
		return nil, err
	}
	if _, err := post("v6", "an RFC 9580 post", fx.six, nil, nil); err != nil {
		return nil, err
	}
	// A post to Carol that Carol shares with Bob: the share's key packets
	// and the unchanged message.
	toCarol, err := post("", "a post shared later", fx.alice, []*openpgp.Entity{pub(fx.carol)}, nil)
	if err != nil {
		return nil, err
	}
	share, err := AddRecipients(bytes.NewReader(toCarol), openpgp.EntityList{fx.carol}, []*openpgp.Entity{pub(fx.bob)}, false)
	if err != nil {
		return nil, err
	}
	fx.shares["share"] = [2][]byte{toCarol, share.Bytes}
	fx.messages["share-joined"] = append(bytes.Clone(share.Bytes), toCarol...)
	// A v6 post (SEIPDv2) that Seven shares with Bob, a v4 reader, as a
	// hidden recipient: a v6 key packet with no key ID.
	toSeven, err := post("", "an RFC 9580 post shared later", fx.seven, nil, nil)
	if err != nil {
		return nil, err
	}
	share6, err := AddRecipients(bytes.NewReader(toSeven), openpgp.EntityList{fx.seven}, []*openpgp.Entity{pub(fx.bob)}, true)
	if err != nil {
		return nil, err
	}
	fx.shares["share-v6-hidden"] = [2][]byte{toSeven, share6.Bytes}

	// Password messages, made with the cheapest iterated S2K: SEIPDv1
	// (what gpg 2.2 writes) and SEIPDv2, both signed by Alice.
	for _, aead := range []bool{false, true} {
		text := "a post behind a password"
		name := "password"
		if aead {
			text += " (AEAD)"
			name += "-aead"
		}
		doc := `{"v":1,"text":"` + text + `","created":"2026-01-01T01:00:00Z","author":"` + persona.Fingerprint(fx.alice) + `"}`
		config := &packet.Config{
			DefaultCipher:          packet.CipherAES256,
			DefaultCompressionAlgo: packet.CompressionNone,
			S2KConfig:              &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65536},
			Time:                   func() time.Time { return fuzzTime.Add(time.Hour) },
		}
		if aead {
			config.AEADConfig = &packet.AEADConfig{DefaultMode: packet.AEADModeOCB}
		}
		var buf bytes.Buffer
		w, err := openpgp.SymmetricallyEncryptWithParams(fuzzPassword, &buf, &openpgp.EncryptParams{Signers: []*openpgp.Entity{fx.alice}, Config: config})
		if err != nil {
			return nil, err
		}
		io.WriteString(w, doc)
		if err := w.Close(); err != nil {
			return nil, err
		}
		fx.messages[name] = buf.Bytes()
		fx.plaintexts[doc] = true
		fx.posts[text] = true
	}

	// A message in ASCII armor.
	var arm bytes.Buffer
	aw, err := armor.Encode(&arm, "PGP MESSAGE", nil)
	if err != nil {
		return nil, err
	}
	aw.Write(fx.messages["post"])
	aw.Close()
	fx.messages["armored"] = arm.Bytes()
	return fx, nil
}

// seeds returns the seed messages in a fixed order.
func (fx *fuzzFixture) seeds() [][]byte {
	var out [][]byte
	for _, name := range slices.Sorted(maps.Keys(fx.messages)) {
		out = append(out, fx.messages[name])
	}
	return out
}

// shareSeeds returns the (message, share) seeds in a fixed order.
func (fx *fuzzFixture) shareSeeds() [][2][]byte {
	var out [][2][]byte
	for _, name := range slices.Sorted(maps.Keys(fx.shares)) {
		out = append(out, fx.shares[name])
	}
	return out
}

func (fx *fuzzFixture) openOptions() *OpenOptions {
	return &OpenOptions{Keyring: fx.keyring, Passwords: [][]byte{fuzzPassword}, MaxSize: 1 << 20}
}

// mutations returns truncations and bit flips of a seed: the neighbours of
// a real message, where parsers go wrong.
func mutations(msg []byte) [][]byte {
	var out [][]byte
	for _, n := range []int{0, 1, 2, 3, len(msg) / 3, len(msg) / 2, len(msg) - 22, len(msg) - 1} {
		if n >= 0 && n < len(msg) {
			out = append(out, bytes.Clone(msg[:n]))
		}
	}
	for _, i := range []int{0, 1, 2, 5, 14, 20, len(msg) / 2, len(msg) - 30, len(msg) - 1} {
		if i >= 0 && i < len(msg) {
			m := bytes.Clone(msg)
			m[i] ^= 0x04
			out = append(out, m)
		}
	}
	// Trailing garbage.
	return append(out, append(bytes.Clone(msg), 0xc1, 0x00))
}

func requireTyped(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: untyped error %v", what, err)
	}
	switch e.Kind {
	case ErrNotForMe, ErrBadSignature, ErrCorrupt, ErrUnsupported, ErrLocked, ErrTooLarge, ErrNoSigner, ErrNoRecipient:
	default:
		t.Fatalf("%s: unknown kind %v", what, e.Kind)
	}
}

func FuzzDecrypt(f *testing.F) {
	fx := getFuzzFixture(f)
	for _, msg := range fx.seeds() {
		f.Add(msg)
		for _, m := range mutations(msg) {
			f.Add(m)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		res, err := Decrypt(bytes.NewReader(data), &out, fx.openOptions())
		if err != nil {
			if out.Len() != 0 {
				t.Fatalf("%d bytes written before the error %v", out.Len(), err)
			}
			requireTyped(t, "Decrypt", err)
			return
		}
		if res.Size != int64(out.Len()) {
			t.Fatalf("Size %d, wrote %d", res.Size, out.Len())
		}
		good := false
		for _, s := range res.Signatures {
			if s.Status == SigGood {
				good = true
				if s.Signer == nil || !fx.authors[s.Fingerprint] {
					t.Fatalf("good signature by %q", s.Fingerprint)
				}
			}
		}
		// A message the fuzzer made up can be read (a literal packet, or
		// one with an unknown signer), but nothing it made up is
		// authenticated.
		if (res.Encrypted || good) && !fx.plaintexts[out.String()] {
			t.Fatalf("encrypted %v, good signature %v, yet the plaintext is not a seed's: %q", res.Encrypted, good, out.Bytes())
		}
	})
}

func FuzzOpenPost(f *testing.F) {
	fx := getFuzzFixture(f)
	for _, msg := range fx.seeds() {
		f.Add(msg, []byte(nil))
	}
	for _, s := range fx.shareSeeds() {
		f.Add(s[0], s[1])
		for _, m := range mutations(s[1]) {
			f.Add(s[0], m)
		}
	}
	for _, m := range mutations(fx.messages["post"]) {
		f.Add(m, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, msg, share []byte) {
		var shares [][]byte
		if len(share) > 0 {
			shares = [][]byte{share}
		}
		op, err := OpenPost(bytes.NewReader(msg), fx.openOptions(), shares...)
		if err != nil {
			requireTyped(t, "OpenPost", err)
			return
		}
		if op.Signature.Status == SigBad {
			t.Fatalf("post opened with a bad signature: %+v", op.Signature)
		}
		good := op.Signature.Status == SigGood
		if good && op.Signature.Fingerprint != op.Author {
			t.Fatalf("post by %s signed by %s", op.Author, op.Signature.Fingerprint)
		}
		if (op.Audience == Private || good) && !fx.posts[op.Text] {
			t.Fatalf("audience %v, good signature %v, yet the text is not a seed's: %q", op.Audience, good, op.Text)
		}
		if err := op.Validate(); err != nil {
			t.Fatalf("opened an invalid post: %v", err)
		}
	})
}

func FuzzListRecipients(f *testing.F) {
	fx := getFuzzFixture(f)
	for _, msg := range fx.seeds() {
		f.Add(msg, []byte(nil))
		for _, m := range mutations(msg) {
			f.Add(m, []byte(nil))
		}
	}
	for _, s := range fx.shareSeeds() {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, msg, share []byte) {
		var shares [][]byte
		if len(share) > 0 {
			shares = [][]byte{share}
		}
		rs, err := ListRecipients(bytes.NewReader(msg), shares...)
		if err != nil {
			requireTyped(t, "ListRecipients", err)
			return
		}
		// Each recipient is one key packet of at least a header and a
		// version byte.
		if len(rs)*3 > len(msg)+len(share) {
			t.Fatalf("%d recipients in %d bytes", len(rs), len(msg)+len(share))
		}
		for _, r := range rs {
			if r.Hidden != (r.KeyID == 0) {
				t.Fatalf("recipient %+v", r)
			}
		}
	})
}

// FuzzSplit checks the key-packet splitter: what it returns, put back
// together, is the input (less marker packets, which it drops).
func FuzzSplit(f *testing.F) {
	fx := getFuzzFixture(f)
	for _, msg := range fx.seeds() {
		f.Add(msg)
		for _, m := range mutations(msg) {
			f.Add(m)
		}
	}
	f.Add([]byte{0xca, 0x03, 'P', 'G', 'P', 0xd2, 0x01, 0x01})          // marker, SEIPD
	f.Add([]byte{0xc1, 0xe0, 0x00, 0xd2, 0x00})                         // partial key packet
	f.Add([]byte{0x84, 0x01, 0x03, 0x8c, 0x00, 0xa4, 0x00})             // old-format packets
	f.Add([]byte{0xc1, 0xff, 0x00, 0x00, 0x00, 0x01, 0x03, 0xd4, 0x01}) // five-octet length, AEAD
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := pgppacket.SplitMessage(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("a split and an error")
			}
			return
		}
		var rebuilt []byte
		for _, kp := range s.KeyPackets {
			h, err := pgppacket.ReadHeader(bufio.NewReader(bytes.NewReader(kp)))
			if err != nil {
				t.Fatalf("key packet %x: %v", kp, err)
			}
			if h.Tag != pgppacket.TagPKESK && h.Tag != pgppacket.TagSKESK {
				t.Fatalf("key packet with tag %d", h.Tag)
			}
			if int64(len(kp)) != int64(len(h.Raw))+h.Length {
				t.Fatalf("key packet of %d bytes says %d+%d", len(kp), len(h.Raw), h.Length)
			}
			rebuilt = append(rebuilt, kp...)
		}
		rest, err := io.ReadAll(s.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch s.DataTag {
		case pgppacket.TagSEIPD, pgppacket.TagAEAD, pgppacket.TagSED:
		default:
			t.Fatalf("data packet tag %d", s.DataTag)
		}
		if !bytes.HasSuffix(data, rest) || len(rest) == 0 {
			t.Fatalf("the data is not the rest of the input")
		}
		// The head the splitter consumed is the key packets and any
		// marker packets, whole.
		head := data[:len(data)-len(rest)]
		var kept []byte
		br := bufio.NewReader(bytes.NewReader(head))
		for {
			h, err := pgppacket.ReadHeader(br)
			if err == io.EOF {
				break
			}
			if err != nil || h.Length < 0 {
				t.Fatalf("head %x does not parse: %v", head, err)
			}
			body := make([]byte, h.Length)
			if _, err := io.ReadFull(br, body); err != nil {
				t.Fatalf("head %x: %v", head, err)
			}
			if h.Tag != pgppacket.TagMarker {
				kept = append(append(kept, h.Raw...), body...)
			}
		}
		if !bytes.Equal(kept, rebuilt) {
			t.Fatalf("key packets %x, head without markers %x", rebuilt, kept)
		}
	})
}

// FuzzFraming checks the framing follower against an independent walk of
// the packet framing, and that it does not depend on how the input is cut
// into reads.
func FuzzFraming(f *testing.F) {
	fx := getFuzzFixture(f)
	for _, msg := range fx.seeds() {
		if msg[0] == '-' {
			continue // armored
		}
		f.Add(msg, uint8(7))
		f.Add(msg[:len(msg)-1], uint8(1))
	}
	f.Add([]byte{0xcb, 0xe1, 0x00, 0x00, 0x01, 0x00}, uint8(1)) // partial chunk of 2, then a chunk of 1
	f.Add([]byte{0xcb, 0xe0, 0x00, 0xe0, 0x00, 0x00}, uint8(3)) // partial, partial, empty final chunk
	f.Add([]byte{0xa3, 0x01, 0x02, 0x03}, uint8(2))             // old format, indeterminate length
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		want := walkFraming(data)
		// All at once, one byte at a time, and in reads of cut bytes.
		for _, size := range []int{len(data) + 1, 1, int(cut)%64 + 1} {
			fr := pgppacket.NewFraming(&chunkReader{data: data, size: size})
			if _, err := io.Copy(io.Discard, readerOnly{fr}); err != nil {
				t.Fatal(err)
			}
			if got := fr.Finish() == nil; got != want {
				t.Fatalf("reads of %d: framing says ok=%v, walk says %v", size, got, want)
			}
		}
		// finish also notices a byte the reader left unread.
		if len(data) > 0 {
			fr := pgppacket.NewFraming(bytes.NewReader(data))
			io.ReadFull(fr, make([]byte, len(data)-1))
			if fr.Finish() == nil {
				t.Fatal("finish missed an unread byte")
			}
		}
	})
}

// walkFraming reports whether data is a sequence of whole OpenPGP packets
// (RFC 9580 §4.2), without looking inside them.
func walkFraming(data []byte) bool {
	i := 0
	bodyLen := func() (n int64, partial, ok bool) {
		if i >= len(data) {
			return 0, false, false
		}
		l0 := data[i]
		i++
		switch {
		case l0 < 192:
			return int64(l0), false, true
		case l0 < 224:
			if i >= len(data) {
				return 0, false, false
			}
			n = (int64(l0)-192)<<8 + int64(data[i]) + 192
			i++
			return n, false, true
		case l0 == 255:
			if i+4 > len(data) {
				return 0, false, false
			}
			n = int64(data[i])<<24 | int64(data[i+1])<<16 | int64(data[i+2])<<8 | int64(data[i+3])
			i += 4
			return n, false, true
		}
		return int64(1) << (l0 & 0x1f), true, true
	}
	skip := func(n int64) bool {
		if n > int64(len(data)-i) {
			return false
		}
		i += int(n)
		return true
	}
	for i < len(data) {
		tag := data[i]
		i++
		if tag&0x80 == 0 {
			return false
		}
		if tag&0x40 == 0 { // old format
			size := [4]int{1, 2, 4, 0}[tag&3]
			if size == 0 {
				return true // indeterminate: to the end
			}
			if i+size > len(data) {
				return false
			}
			var n int64
			for _, c := range data[i : i+size] {
				n = n<<8 | int64(c)
			}
			i += size
			if !skip(n) {
				return false
			}
			continue
		}
		for {
			n, partial, ok := bodyLen()
			if !ok || !skip(n) {
				return false
			}
			if !partial {
				break
			}
		}
	}
	return true
}

// chunkReader returns at most size bytes per Read.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.size, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// readerOnly hides any WriterTo, so io.Copy goes through Read.
type readerOnly struct{ io.Reader }

// TestFuzzSeeds makes sure the seeds reach the paths the fuzz targets are
// for: every seed message opens, so mutations start from success.
func TestFuzzSeeds(t *testing.T) {
	fx := getFuzzFixture(t)
	for name, msg := range fx.messages {
		op, err := OpenPost(bytes.NewReader(msg), fx.openOptions())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if op.Signature.Status != SigGood || !fx.posts[op.Text] {
			t.Errorf("%s: %v %q", name, op.Signature.Status, op.Text)
		}
	}
	for name, s := range fx.shares {
		if _, err := OpenPost(bytes.NewReader(s[0]), fx.openOptions()); !errors.Is(err, ErrNotForMe) {
			t.Errorf("%s without the share: %v", name, err)
		}
		op, err := OpenPost(bytes.NewReader(s[0]), fx.openOptions(), s[1])
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if op.Signature.Status != SigGood {
			t.Errorf("%s: %v", name, op.Signature.Status)
		}
	}
	// Fixed seeds make the same keys in every process.
	again, err := detKey("Bob", persona.ProfileV4)
	if err != nil {
		t.Fatal(err)
	}
	if persona.Fingerprint(again) != persona.Fingerprint(fx.bob) {
		t.Error("fixture keys are not deterministic")
	}
}
