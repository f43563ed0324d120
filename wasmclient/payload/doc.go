// Package payload is the text that goes into a tweet or a Facebook post, and
// the way back from page text to the post it points at.
//
// A Veil post is one binary OpenPGP message (see the envelope package). The
// message itself is stored on a relay and addressed by its CID, so what the
// social site carries is only a marker line and a link:
//
//	🔒 Encrypted with Veil https://relay.example/p/bafkrei…
//
// Public posts, which are signed but not encrypted, carry a different marker
// (PublicMarker), so that nothing is labelled private that is not.
//
// A small message may instead travel whole inside the link's fragment,
//
//	https://relay.example/p/#v1.<base64url of the message>
//
// which browsers never send to a server, so the post can be read without any
// relay at all. Link, Inline, FeedText and PublicFeedText make these texts.
//
// Find goes the other way: given the text of a page, a timeline or a single
// post, it returns every Veil payload in it, in order. The sites do not show
// links as they were posted: they drop the scheme, cut long links short with
// an ellipsis, break them over lines with invisible characters, or replace
// them with their own short links (t.co, fb.me, l.facebook.com). Find
// recovers what can be recovered and says what cannot: a link cut by the site
// is reported as Truncated, and a short link as KindShortened, so that the
// caller (the extension, which sees the page) can read the anchor's href or
// resolve the short link. Parse reads one link or CID, such as an href.
//
// Find and Parse take text from pages anyone can write to: they bound their
// work, skip what does not validate, and never panic.
package payload
