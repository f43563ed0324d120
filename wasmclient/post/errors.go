package post

import (
	"errors"

	"github.com/veilsocial/veil/wasmclient/relayclient"
)

var (
	// ErrUnreachable: the relay could not be reached (no connection, a
	// timeout, or a gateway in front of it saying it is down). A
	// *RelayError matches it.
	ErrUnreachable = errors.New("relay unreachable")
	// ErrNotAuthor: only the author of a post may publish shares for it.
	ErrNotAuthor = errors.New("only the author of a post may publish shares for it")
	// ErrPublicPost: a public post needs no share, everyone can read it.
	ErrPublicPost = errors.New("a public post needs no share: everyone can read it")
	// ErrInvalid: a request that cannot be carried out as asked, such as a
	// public post with recipients.
	ErrInvalid = errors.New("invalid request")
	// ErrNoPost: the text holds no Veil post.
	ErrNoPost = errors.New("no Veil post found")
)

// RelayError is a call to a relay that failed: what was being done ("fetching
// <cid> from <relay>") and why. Err is a *relayclient.Error when the relay
// answered, and a transport error when it could not be reached (then the
// RelayError matches ErrUnreachable).
type RelayError struct {
	Op  string
	Err error
}

func (e *RelayError) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *RelayError) Unwrap() error { return e.Err }

// Is reports whether the relay was unreachable, for errors.Is(err,
// ErrUnreachable).
func (e *RelayError) Is(target error) bool {
	return target == ErrUnreachable && unreachable(e.Err)
}

// unreachable tells a relay that could not be reached from one that answered.
func unreachable(err error) bool {
	var re *relayclient.Error
	if errors.As(err, &re) {
		switch re.Status {
		case 502, 503, 504: // a gateway in front of a relay that is down
			return true
		}
		return false
	}
	return errors.Is(err, relayclient.ErrUnreachable)
}

func relayError(op string, err error) error {
	if err == nil {
		return nil
	}
	return &RelayError{Op: op, Err: err}
}
