package cluster

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// FuzzEntry feeds arbitrary stream messages and IDs to what reads them
// back: nothing may panic, an ID that parses prints as itself (normalized)
// and orders consistently, and a decoded entry keeps its fields.
func FuzzEntry(f *testing.F) {
	f.Add("1700000000000-3", "abcd", "blob", `{"cid":"x"}`, "data", true)
	f.Add("0", "", "", "", "", false)
	f.Add("18446744073709551615-18446744073709551615", "o", "key", "", "\x00\xff", true)
	f.Fuzz(func(t *testing.T, id, origin, kind, meta, data string, withKind bool) {
		if sid, err := parseStreamID(id); err == nil {
			again, err := parseStreamID(sid.String())
			if err != nil || again != sid {
				t.Fatalf("%q → %v → %v (%v)", id, sid, again, err)
			}
			if sid.less(sid) {
				t.Fatalf("%v < itself", sid)
			}
		}
		values := map[string]any{"o": origin, "m": meta, "d": data}
		if withKind {
			values["k"] = kind
		}
		e, err := decodeMessage(redis.XMessage{ID: id, Values: values})
		if !withKind {
			if err == nil {
				t.Fatal("a message without a kind decoded")
			}
			return
		}
		if err != nil || e.Origin != origin || e.Kind != kind || string(e.Meta) != meta || string(e.Data) != data || e.ID != id {
			t.Fatalf("decoded %+v, %v", e, err)
		}
	})
}
