package envelope

import (
	"errors"
	"fmt"
	"io"

	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
)

// Kinds of failure callers test for with errors.Is.
var (
	// ErrNotForMe: none of the available keys can decrypt the message.
	ErrNotForMe = errors.New("message is not encrypted to any of your keys")
	// ErrBadSignature: a signature by a known key does not verify, or the
	// document inside names another author than the one who signed it.
	ErrBadSignature = errors.New("bad signature")
	// ErrCorrupt: the input is not a well-formed OpenPGP message, or it
	// was modified (integrity check failed).
	ErrCorrupt = errors.New("corrupt or modified message")
	// ErrUnsupported: a well-formed message that uses something Veil does
	// not accept (an unknown algorithm, no integrity protection, a newer
	// post version).
	ErrUnsupported = errors.New("unsupported message")
	// ErrLocked: a key that could decrypt the message is still locked.
	ErrLocked = errors.New("the key that can decrypt this message is locked")
	// ErrTooLarge: the plaintext exceeds the size the caller allowed.
	ErrTooLarge = errors.New("message too large")
	// ErrNoSigner: signing needs an unlocked signing key.
	ErrNoSigner = errors.New("no usable signing key")
	// ErrNoRecipient: encryption needs at least one recipient with a usable
	// encryption key.
	ErrNoRecipient = errors.New("no usable recipient key")
)

// Error is a failure of a kind above with its detail.
type Error struct {
	Kind error  // one of the sentinel errors
	Op   string // what was being done: "decrypt", "verify", "share", …
	Err  error  // the underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %v", e.Op, e.Kind)
	}
	return fmt.Sprintf("%s: %v: %v", e.Op, e.Kind, e.Err)
}

// Unwrap lets errors.Is find both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(op string, kind, cause error) error {
	return &Error{Kind: kind, Op: op, Err: cause}
}

// classify maps an error from the OpenPGP library (or reading input) to one
// of the package's kinds.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var (
		structural  pgperrors.StructuralError
		unsupported pgperrors.UnsupportedError
		sig         pgperrors.SignatureError
		unknownPkt  pgperrors.UnknownPacketTypeError
		criticalPkt pgperrors.CriticalUnknownPacketTypeError
		invalidArg  pgperrors.InvalidArgumentError
		malformed   pgperrors.ErrMalformedMessage
		sessionKey  pgperrors.DecryptWithSessionKeyError
		aead        pgperrors.AEADError
		weak        pgperrors.WeakAlgorithmError
	)
	switch {
	case errors.Is(err, pgperrors.ErrKeyIncorrect), errors.Is(err, pgperrors.ErrUnknownIssuer) && op == "decrypt":
		return newError(op, ErrNotForMe, nil)
	case errors.Is(err, pgperrors.ErrMDCHashMismatch), errors.Is(err, pgperrors.ErrMDCMissing),
		errors.Is(err, pgperrors.ErrAEADTagVerification),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.As(err, &structural), errors.As(err, &malformed), errors.As(err, &invalidArg),
		errors.As(err, &sessionKey), errors.As(err, &aead):
		return newError(op, ErrCorrupt, err)
	case errors.Is(err, pgperrors.ErrMessageTooLarge):
		return newError(op, ErrTooLarge, err)
	case errors.As(err, &unsupported), errors.As(err, &unknownPkt), errors.As(err, &criticalPkt), errors.As(err, &weak):
		return newError(op, ErrUnsupported, err)
	case errors.As(err, &sig):
		// The library reports integrity failures of the data as signature
		// errors while the body is read.
		return newError(op, ErrCorrupt, err)
	}
	return newError(op, ErrCorrupt, err)
}

// isKeySelection reports whether err says a recipient key is unusable
// (expired, revoked, no encryption subkey).
func isKeySelection(err error) bool {
	var v pgperrors.ErrEncryptionKeySelection
	var p *pgperrors.ErrEncryptionKeySelection
	return errors.As(err, &v) || errors.As(err, &p)
}
