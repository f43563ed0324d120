package eth

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrInvalid is returned for input that is not what it claims to be: a
	// malformed address, account, key, amount or signature.
	ErrInvalid = errors.New("eth: invalid")
	// ErrNotBound is returned by VerifyBinding when the signature was not
	// made by the account's key.
	ErrNotBound = errors.New("eth: the account did not sign this binding")
	// ErrUnreachable wraps a failure to exchange anything with the JSON-RPC
	// endpoint, as opposed to an answer it gave (*RPCError).
	ErrUnreachable = errors.New("eth: RPC endpoint unreachable")
	// ErrBadResponse is returned for an answer that is not the JSON-RPC
	// document it should be.
	ErrBadResponse = errors.New("eth: malformed RPC response")
)

// RPCError is an error the JSON-RPC endpoint answered with: a refused
// transaction (nonce too low, insufficient funds), a reverted call.
type RPCError struct {
	Method  string
	Code    int
	Message string
	// Data is the error's data as JSON, such as a revert's return data.
	Data string
}

func (e *RPCError) Error() string {
	msg := e.Message
	if r := e.Reason(); r != "" && !strings.Contains(msg, r) {
		msg = strings.TrimSuffix(msg, ": ") + ": " + r
	}
	return "eth: " + e.Method + ": " + msg + " (code " + strconv.Itoa(e.Code) + ")"
}

// invalid reports input s that is not a valid what.
func invalid(what, s string) error {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return &invalidError{what: what, s: s}
}

type invalidError struct{ what, s string }

func (e *invalidError) Error() string { return "eth: invalid " + e.what + " " + strconv.Quote(e.s) }
func (e *invalidError) Unwrap() error { return ErrInvalid }
