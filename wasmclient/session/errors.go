package session

import (
	"errors"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// ErrBadInput: a request the caller got wrong (a missing field, a malformed
// fingerprint, an unknown audience).
var ErrBadInput = errors.New("bad input")

// The stable codes of veil.d.ts's VeilError.
const (
	CodeLocked           = "locked"
	CodeNotForYou        = "not-for-you"
	CodeKeyUnavailable   = "key-unavailable"
	CodeRelayUnreachable = "relay-unreachable"
	CodeBadSignature     = "bad-signature"
	CodeCorrupt          = "corrupt"
	CodeUnsupported      = "unsupported"
	CodeNotFound         = "not-found"
	CodeBadInput         = "bad-input"
	CodeWrongPassphrase  = "wrong-passphrase"
	CodeInternal         = "internal"
)

// Code names an error with one of the stable codes; "" for nil. What fits
// none of them (a relay refusing an upload over its rate limit, a bug) is
// "internal", and the error's message says more.
func Code(err error) string {
	if c := walletCode(err); c != "" {
		return c
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, post.ErrUnreachable):
		return CodeRelayUnreachable
	case errors.Is(err, persona.ErrBadPassphrase):
		return CodeWrongPassphrase
	case errors.Is(err, envelope.ErrLocked), errors.Is(err, persona.ErrLocked):
		return CodeLocked
	case errors.Is(err, envelope.ErrNotForMe):
		return CodeNotForYou
	case errors.Is(err, envelope.ErrBadSignature):
		return CodeBadSignature
	case errors.Is(err, envelope.ErrUnsupported):
		return CodeUnsupported
	case errors.Is(err, envelope.ErrCorrupt), errors.Is(err, persona.ErrBadBackup), errors.Is(err, persona.ErrInvalidKey),
		errors.Is(err, relayclient.ErrMismatch), errors.Is(err, relayclient.ErrBadResponse):
		return CodeCorrupt
	case errors.Is(err, relayclient.ErrNotFound), errors.Is(err, persona.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrBadInput), errors.Is(err, post.ErrInvalid), errors.Is(err, post.ErrNoPost),
		errors.Is(err, post.ErrNotAuthor), errors.Is(err, post.ErrPublicPost),
		errors.Is(err, payload.ErrNotVeil), errors.Is(err, payload.ErrBadCID), errors.Is(err, payload.ErrTruncated),
		errors.Is(err, payload.ErrBadInline), errors.Is(err, persona.ErrBadClaim), errors.Is(err, persona.ErrAmbiguous),
		errors.Is(err, persona.ErrNoSecretKey), errors.Is(err, envelope.ErrNoRecipient), errors.Is(err, envelope.ErrTooLarge),
		errors.Is(err, relayclient.ErrTooLarge):
		return CodeBadInput
	}
	return CodeInternal
}
