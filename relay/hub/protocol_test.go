package hub

import (
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-multihash"
)

func testCID(t testing.TB) cid.Cid {
	h, err := multihash.Sum([]byte("post"), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

func TestValidChannel(t *testing.T) {
	c := testCID(t)
	b58, err := c.StringOfBase(multibase.Base58BTC)
	if err != nil {
		t.Fatal(err)
	}
	v0 := cid.NewCidV0(c.Hash())
	cases := []struct {
		name string
		ok   bool
	}{
		{"directory", true},
		{"inbox:0123456789ABCDEF", true},
		{InboxChannel(0xDEADBEEF), true},
		{SharesChannel(c), true},
		{"Directory", false},
		{"directory:", false},
		{"inbox:0123456789abcdef", false}, // lower case
		{"inbox:0123456789ABCDE", false},
		{"inbox:0123456789ABCDEF0", false},
		{"inbox:0123456789ABCDEG", false},
		{"inbox:", false},
		{"shares:" + b58, false},                         // not the canonical base
		{"shares:" + strings.ToUpper(c.String()), false}, // nor its case
		{"shares:" + v0.String(), false},                 // CIDv0
		{"shares:bafy", false},
		{"shares:", false},
		{"", false},
		{"inbox:0123456789ABCDEF ", false},
	}
	for _, tc := range cases {
		if got := ValidChannel(tc.name); got != tc.ok {
			t.Errorf("ValidChannel(%q) = %v", tc.name, got)
		}
	}
	if InboxChannel(0x0123456789ABCDEF) != "inbox:0123456789ABCDEF" || InboxChannel(1) != "inbox:0000000000000001" {
		t.Errorf("InboxChannel: %s %s", InboxChannel(0x0123456789ABCDEF), InboxChannel(1))
	}
}

func TestParseMessage(t *testing.T) {
	cases := []struct {
		in   string
		code string // "" when valid
		id   uint64
	}{
		{`{"id":1,"op":"subscribe","channel":"inbox:0123456789ABCDEF"}`, "", 1},
		{`{"id":1,"op":"subscribe","channel":"directory","since":{"epoch":"e","offset":41}}`, "", 1},
		{` {"op":"ping","id":3} `, "", 3},
		{`{"id":2,"op":"unsubscribe","channel":"directory"}`, "", 2},
		{`{"id":2,"op":"unsubscribe","channel":"directory","since":{"epoch":"e","offset":1}}`, CodeBadRequest, 2},
		{`{"id":2,"op":"subscribe"}`, CodeBadRequest, 2},
		{`{"id":2,"op":"subscribe","channel":"news"}`, CodeBadChannel, 2},
		{`{"id":3,"op":"ping","channel":"directory"}`, CodeBadRequest, 3},
		{`{"id":4,"op":"publish","channel":"directory"}`, CodeBadRequest, 4},
		{`{"id":4}`, CodeBadRequest, 4},
		{`{"op":"ping"}`, CodeBadRequest, 0},
		{`{"id":0,"op":"ping"}`, CodeBadRequest, 0},
		{`{"id":-1,"op":"ping"}`, CodeBadRequest, 0},
		{`{"id":1.5,"op":"ping"}`, CodeBadRequest, 0},
		{`{"id":"1","op":"ping"}`, CodeBadRequest, 0},
		{`{"id":1,"op":"ping","extra":true}`, CodeBadRequest, 0},
		{`{"id":1,"op":"subscribe","channel":"directory","since":{"epoch":"e","offset":1,"x":1}}`, CodeBadRequest, 0},
		{`{"id":1,"op":"ping"}{"id":2,"op":"ping"}`, CodeBadRequest, 0},
		{`{"id":1,"op":"ping"} x`, CodeBadRequest, 0},
		{`[]`, CodeBadRequest, 0},
		{`null`, CodeBadRequest, 0},
		{``, CodeBadRequest, 0},
		{`{"id":1,"op":"subscribe","channel":"directory","since":{"epoch":"` + strings.Repeat("e", 200) + `"}}`, CodeBadRequest, 1},
	}
	for _, tc := range cases {
		m, err := ParseMessage([]byte(tc.in))
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("%s: got %+v %v, want %s", tc.in, m, err, tc.code)
		case m.ID != tc.id:
			t.Errorf("%s: id %d, want %d", tc.in, m.ID, tc.id)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"op":"subscribe","channel":"inbox:0123456789ABCDEF","since":{"epoch":"a1","offset":41}}`,
		`{"id":2,"op":"unsubscribe","channel":"directory"}`,
		`{"id":3,"op":"ping"}`,
		`{"id":4,"op":"subscribe","channel":"shares:bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"}`,
		`{"id":5,"op":"subscribe","channel":"inbox:0123456789ABCDEF","since":null}`,
		`{"id":18446744073709551615,"op":"ping"}`,
		`{"id":1,"op":"ping","op":"subscribe"}`,
		`{"id":1,"op":"\u0070ing"}`,
		`not json`, `{}`, `[`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			if err.Code != CodeBadRequest && err.Code != CodeBadChannel {
				t.Fatalf("error code %q", err.Code)
			}
			if err.Message == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if m.ID == 0 {
			t.Fatal("accepted a message without an id")
		}
		switch m.Op {
		case OpSubscribe:
			if !ValidChannel(m.Channel) {
				t.Fatalf("subscribe to bad channel %q", m.Channel)
			}
			if m.Since != nil && len(m.Since.Epoch) > maxEpochLen {
				t.Fatal("accepted an over-long epoch")
			}
		case OpUnsubscribe:
			if !ValidChannel(m.Channel) || m.Since != nil {
				t.Fatalf("bad unsubscribe %+v", m)
			}
		case OpPing:
			if m.Channel != "" || m.Since != nil {
				t.Fatalf("bad ping %+v", m)
			}
		default:
			t.Fatalf("accepted op %q", m.Op)
		}
	})
}
