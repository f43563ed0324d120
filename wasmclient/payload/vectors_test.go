package payload

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-multihash"
)

// findVectors is testdata/find.json: texts and the payloads Find must return.
type findVectors struct {
	// CIDs are the CIDs the cases use, each the raw-codec CID of the SHA-256
	// of its seed, in the forms the cases write it.
	CIDs []struct {
		Seed   string `json:"seed"`
		V1     string `json:"v1"`
		V0     string `json:"v0"`
		Base58 string `json:"base58"`
		Base36 string `json:"base36"`
	} `json:"cids"`
	Cases []struct {
		Name string       `json:"name"`
		Text string       `json:"text"`
		Want []wantResult `json:"want"`
	} `json:"cases"`
}

type wantResult struct {
	Kind       string `json:"kind"`
	Relay      string `json:"relay"`
	CID        string `json:"cid"`
	MessageHex string `json:"message_hex"`
	URL        string `json:"url"`
	Truncated  bool   `json:"truncated"`
}

// encodeVectors is testdata/encode.json: the outputs of Link, Inline,
// FeedText and PublicFeedText.
type encodeVectors struct {
	Link []struct {
		Name  string `json:"name"`
		Relay string `json:"relay"`
		CID   string `json:"cid"`
		Want  string `json:"want"`
	} `json:"link"`
	Inline []struct {
		Name       string `json:"name"`
		Relay      string `json:"relay"`
		MessageHex string `json:"message_hex"`
		Want       string `json:"want"`
		Err        string `json:"err"`
	} `json:"inline"`
	Feed []struct {
		Name   string `json:"name"`
		Link   string `json:"link"`
		Public bool   `json:"public"`
		Want   string `json:"want"`
	} `json:"feed"`
}

func readVectors(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// seedCID is the CID the vectors use for seed: CIDv1, raw codec, SHA-256.
func seedCID(t testing.TB, seed string) cid.Cid {
	t.Helper()
	h, err := multihash.Sum([]byte(seed), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

// TestVectorCIDs checks the CIDs written in find.json against the seeds they
// come from.
func TestVectorCIDs(t *testing.T) {
	var v findVectors
	readVectors(t, "find.json", &v)
	if len(v.CIDs) == 0 {
		t.Fatal("no CIDs")
	}
	for _, e := range v.CIDs {
		c := seedCID(t, e.Seed)
		base58, err := c.StringOfBase(multibase.Base58BTC)
		if err != nil {
			t.Fatal(err)
		}
		base36, err := c.StringOfBase(multibase.Base36)
		if err != nil {
			t.Fatal(err)
		}
		v0 := cid.NewCidV0(c.Hash()).String()
		if e.V1 != c.String() || e.V0 != v0 || e.Base58 != base58 || e.Base36 != base36 {
			t.Errorf("%q: vectors have %s %s %s %s, want %s %s %s %s",
				e.Seed, e.V1, e.V0, e.Base58, e.Base36, c, v0, base58, base36)
		}
	}
}

func TestFindVectors(t *testing.T) {
	var v findVectors
	readVectors(t, "find.json", &v)
	if len(v.Cases) < 25 {
		t.Fatalf("only %d cases", len(v.Cases))
	}
	names := make(map[string]bool)
	for _, tc := range v.Cases {
		if names[tc.Name] {
			t.Fatalf("two cases named %q", tc.Name)
		}
		names[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got := Find(tc.Text)
			if len(got) != len(tc.Want) {
				t.Errorf("found %d payloads, want %d:", len(got), len(tc.Want))
				for _, p := range got {
					t.Logf("  found %s", describe(p))
				}
				return
			}
			for i, w := range tc.Want {
				comparePayload(t, i, got[i], w)
			}
			checkPayloads(t, got)
		})
	}
}

func comparePayload(t *testing.T, i int, p Payload, w wantResult) {
	t.Helper()
	if p.Kind.String() != w.Kind {
		t.Errorf("payload %d: kind %v, want %s", i, p.Kind, w.Kind)
	}
	if p.Relay != w.Relay {
		t.Errorf("payload %d: relay %q, want %q", i, p.Relay, w.Relay)
	}
	switch {
	case w.CID == "" && p.CID.Defined():
		t.Errorf("payload %d: CID %s, want none", i, p.CID)
	case w.CID != "" && (!p.CID.Defined() || p.CID.String() != w.CID):
		t.Errorf("payload %d: CID %v, want %s", i, p.CID, w.CID)
	}
	if got := hex.EncodeToString(p.Message); got != w.MessageHex {
		t.Errorf("payload %d: message %s, want %s", i, got, w.MessageHex)
	}
	if p.URL != w.URL {
		t.Errorf("payload %d: URL %q, want %q", i, p.URL, w.URL)
	}
	if p.Truncated != w.Truncated {
		t.Errorf("payload %d: truncated %v, want %v", i, p.Truncated, w.Truncated)
	}
}

func TestEncodeVectors(t *testing.T) {
	var v encodeVectors
	readVectors(t, "encode.json", &v)
	for _, tc := range v.Link {
		t.Run("Link/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			c, err := cid.Decode(tc.CID)
			if err != nil {
				t.Fatal(err)
			}
			got := Link(tc.Relay, c)
			if got != tc.Want {
				t.Errorf("Link(%q, %s) = %q, want %q", tc.Relay, tc.CID, got, tc.Want)
			}
			p, err := Parse(got)
			if err != nil || !p.CID.Equals(c) || p.URL != got {
				t.Errorf("Parse(%q) = %s, %v", got, describe(p), err)
			}
		})
	}
	for _, tc := range v.Inline {
		t.Run("Inline/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			msg, err := hex.DecodeString(tc.MessageHex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Inline(tc.Relay, msg)
			switch tc.Err {
			case "":
				if err != nil || got != tc.Want {
					t.Fatalf("Inline = %q, %v; want %q", got, err, tc.Want)
				}
				p, err := Parse(got)
				if err != nil || !bytes.Equal(p.Message, msg) || p.URL != got {
					t.Errorf("Parse(%q) = %s, %v", got, describe(p), err)
				}
			case "bad inline":
				if !errors.Is(err, ErrBadInline) || got != "" {
					t.Errorf("Inline = %q, %v; want ErrBadInline", got, err)
				}
			default:
				t.Fatalf("unknown error %q", tc.Err)
			}
		})
	}
	for _, tc := range v.Feed {
		t.Run("Feed/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			got := FeedText(tc.Link)
			if tc.Public {
				got = PublicFeedText(tc.Link)
			}
			if got != tc.Want {
				t.Errorf("got %q, want %q", got, tc.Want)
			}
		})
	}
}
