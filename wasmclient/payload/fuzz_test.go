package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
)

// describe formats p for test messages.
func describe(p Payload) string {
	c := "none"
	if p.CID.Defined() {
		c = p.CID.String()
	}
	return fmt.Sprintf("{%v relay=%q cid=%s message=%x url=%q truncated=%v}", p.Kind, p.Relay, c, p.Message, p.URL, p.Truncated)
}

// checkPayloads checks payloads that Find or Parse returned against what
// they promise: at most 64 of them, no two the same, each consistent with
// the encoders and read back the same.
func checkPayloads(t testing.TB, ps []Payload) {
	t.Helper()
	if len(ps) > maxFound {
		t.Errorf("%d payloads, more than %d", len(ps), maxFound)
	}
	seen := make(map[string]bool)
	for _, p := range ps {
		key := describe(p)
		if seen[key] {
			t.Errorf("payload found twice: %s", key)
		}
		seen[key] = true
		if p.Truncated {
			if p.Kind != KindLink && p.Kind != KindInline || p.CID.Defined() || p.Message != nil ||
				!strings.HasPrefix(p.URL, p.Relay+"/p/") || p.Relay == "" {
				t.Errorf("bad truncated payload %s", key)
			}
			continue
		}
		switch p.Kind {
		case KindLink:
			if !p.CID.Defined() || p.Message != nil {
				t.Errorf("bad link %s", key)
				continue
			}
			if c, err := cid.Decode(p.CID.String()); err != nil || !c.Equals(p.CID) {
				t.Errorf("%s: CID does not parse back: %v, %v", key, c, err)
			}
			if p.Relay == "" {
				// A bare CID, from Parse.
				if p.URL != "" {
					t.Errorf("bare CID with a URL: %s", key)
				}
				continue
			}
			if want := Link(p.Relay, p.CID); p.URL != want {
				t.Errorf("%s: URL is not Link's %q", key, want)
			}
			q, err := Parse(p.URL)
			if err != nil || q.Kind != KindLink || !q.CID.Equals(p.CID) || q.Relay != p.Relay || q.URL != p.URL {
				t.Errorf("%s: Parse(URL) = %s, %v", key, describe(q), err)
			}
		case KindInline:
			if p.CID.Defined() || len(p.Message) == 0 || len(p.Message) > MaxInline {
				t.Errorf("bad inline payload %s", key)
				continue
			}
			u, err := Inline(p.Relay, p.Message)
			if err != nil || u != p.URL {
				t.Errorf("%s: Inline = %q, %v", key, u, err)
				continue
			}
			again := Find(FeedText(u))
			if len(again) != 1 || !bytes.Equal(again[0].Message, p.Message) || again[0].URL != u {
				t.Errorf("%s: Find(Inline) = %v", key, again)
			}
		case KindShortened:
			if p.Relay != "" || p.CID.Defined() || p.Message != nil ||
				!strings.HasPrefix(p.URL, "https://t.co/") && !strings.HasPrefix(p.URL, "https://fb.me/") {
				t.Errorf("bad shortened payload %s", key)
				continue
			}
			if q, err := Parse(p.URL); err != nil || q.Kind != KindShortened || q.URL != p.URL {
				t.Errorf("%s: Parse(URL) = %s, %v", key, describe(q), err)
			}
		default:
			t.Errorf("payload of unknown kind: %s", key)
		}
	}
}

// seedTexts adds find.json's texts to f's corpus, and a few made-up ones.
func seedTexts(f *testing.F) {
	var v findVectors
	readVectors(f, "find.json", &v)
	for _, tc := range v.Cases {
		f.Add(tc.Text)
	}
	var e encodeVectors
	readVectors(f, "encode.json", &e)
	for _, tc := range e.Link {
		f.Add(tc.Want)
		f.Add(tc.CID)
	}
	for _, tc := range e.Inline {
		if tc.Want != "" {
			f.Add(tc.Want)
		}
	}
	f.Add("")
	f.Add("/p/")
	f.Add("a.b/p/#v1.")
	f.Add("t.co/a")
	f.Add("Encrypted with Veil t.co/a fb.me/b")
	f.Add("l.facebook.com/l.php?u=a.b%2Fp%2F%23v1.xA")
}

func FuzzFind(f *testing.F) {
	seedTexts(f)
	f.Fuzz(func(t *testing.T, text string) {
		ps := Find(text)
		checkPayloads(t, ps)
	})
}

func FuzzParse(f *testing.F) {
	seedTexts(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		switch {
		case err == nil:
			checkPayloads(t, []Payload{p})
		case errors.Is(err, ErrTruncated):
			if !p.Truncated {
				t.Errorf("ErrTruncated with %s", describe(p))
			}
			if p.Relay != "" {
				checkPayloads(t, []Payload{p})
			}
		case errors.Is(err, ErrNotVeil), errors.Is(err, ErrBadCID), errors.Is(err, ErrBadInline):
			if p.Kind != 0 || p.Relay != "" || p.CID.Defined() || p.Message != nil || p.URL != "" || p.Truncated {
				t.Errorf("error %v with %s", err, describe(p))
			}
		default:
			t.Errorf("unexpected error %v", err)
		}
	})
}
