// Package post is what a Veil client does with posts, in one implementation for
// the veil command and for the browser: compose a post and store it on a
// relay, read the posts that page text points at, and let more people read a
// post after it was published.
//
// It puts the other client packages together. Compose seals a post with
// envelope (signed, encrypted to its audience and its author, or only signed
// when public), uploads it with relayclient under the post's share key
// (persona.ShareKey, derived from the message's CID, so only the author can
// publish shares for it) and returns the feed text that payload makes for it.
// Find reads the payloads of page text (payload.Find) as Targets: a link to
// a relay, a whole message carried inline, or a site's short link, which it
// resolves. Read fetches a target's message and the shares its relay has for
// it, then opens and verifies it with envelope; Held and Fetched.Read do the
// second half for a message already in hand. AddRecipients recovers a
// post's session key, wraps it for the new readers (envelope.NewShare) and
// publishes those key packets as a share, signed with the post's share key.
//
// The caller brings the keys (personas unlocked, contacts) and the relay
// client; this package keeps no state and asks no questions. Errors keep
// their kinds: those of envelope (envelope.ErrNotForMe, ErrBadSignature,
// ErrCorrupt, ErrUnsupported, ErrLocked), persona.ErrLocked for a locked
// author, relayclient's for what a relay answered, and this package's
// ErrUnreachable for a relay that could not be reached at all, ErrNotAuthor
// and ErrPublicPost for shares that cannot be made, ErrInvalid for a request
// that makes no sense. Test them with errors.Is.
package post
