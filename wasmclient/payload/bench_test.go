package payload

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// feedPage returns about 10 KB of text as a timeline page gives it: tweets
// with names, handles, emoji, hashtags, links and counts, three of which are
// Veil posts (a relay link, an inline link and a t.co link after the marker).
func feedPage(tb testing.TB) string {
	r := rand.New(rand.NewPCG(42, 42))
	words := strings.Fields("the a to of and in is it you that for on with this be at my are just so " +
		"what today new time people love need really think know good great launch release thread " +
		"coffee weekend team update meeting city rain 🎉 🔥 😂 🙏 ❤️ 🚀")
	names := []string{"Alice Martin", "Bob 🌻", "Carol Diaz", "Dan O'Neil", "Eve", "Frank Liu", "Grace H."}
	link := Link("relay.example", randomCID(tb, r))
	inline, err := Inline("relay.example", randomMessage(r, 180))
	if err != nil {
		tb.Fatal(err)
	}
	veil := map[int]string{
		5:  FeedText(link),
		14: FeedText(inline),
		23: FeedText("https://t.co/Vb1kq8ZrT2"),
	}
	var b strings.Builder
	b.WriteString("Home\nFor you\nFollowing\nWhat is happening?!\nPost\n")
	for i := 0; b.Len() < 10<<10; i++ {
		name := names[r.IntN(len(names))]
		fmt.Fprintf(&b, "\n%s\n@%s\n·\n%dh\n", name, strings.ToLower(strings.Fields(name)[0]), 1+r.IntN(23))
		if v, ok := veil[i]; ok {
			b.WriteString(v)
		} else {
			for range 8 + r.IntN(30) {
				b.WriteString(words[r.IntN(len(words))] + " ")
			}
			if r.IntN(3) == 0 {
				fmt.Fprintf(&b, "#tag%d @user%d https://example.com/article/%d", r.IntN(100), r.IntN(100), r.IntN(1e6))
			}
		}
		fmt.Fprintf(&b, "\n%d\n%d\n%d.%dK\nShow this thread\n", r.IntN(50), r.IntN(200), r.IntN(9), r.IntN(9))
	}
	return b.String()
}

func BenchmarkFind(b *testing.B) {
	page := feedPage(b)
	if ps := Find(page); len(ps) != 3 {
		b.Fatalf("found %d payloads in the page, want 3", len(ps))
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		Find(page)
	}
}

// BenchmarkFindHostile runs Find over a MiB of text made to cost it the most
// work per byte: every guard that bounds its work shows here if it breaks.
func BenchmarkFindHostile(b *testing.B) {
	fill := func(unit string) string {
		return strings.Repeat(unit, maxText/len(unit)+1)
	}
	for _, bc := range []struct{ name, text string }{
		{"anchors", fill("/p/")},
		{"long hosts", fill(strings.Repeat("a", 250) + "/p/")},
		{"wrapped cids", fill("a.bc/p/" + strings.Repeat("bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaa\n", maxCIDLines))},
		{"long cids", fill("a.bc/p/" + strings.Repeat("b", maxCIDText+1) + " ")},
		{"wrapped fragments", fill("a.bc/p/#v1.wQAA\n" + strings.Repeat("AAAA\n", maxInlineLines))},
		{"long fragments", fill("a.bc/p/#v1.wQ" + strings.Repeat("A", maxInlineText) + " ")},
		{"nested redirects", fill("(l.facebook.com/l.php?")},
		{"markers and short links", fill("Encrypted with Veil t.co/a ")},
		{"ellipses", fill("a.bc/p/#v…")},
		{"invisible", fill("\u200b&amp;")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				Find(bc.text)
			}
		})
	}
}
