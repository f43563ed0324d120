package sop

import (
	"errors"
	"fmt"
)

// Code is an exit code that the SOP specification assigns to a kind of
// failure. Run returns these; 0 is success and 1 a failure the
// specification names no code for.
type Code int

// Exit codes defined by the specification.
const (
	OK                        Code = 0
	Failure                   Code = 1
	NoSignature               Code = 3
	UnsupportedAsymmetricAlgo Code = 13
	CertCannotEncrypt         Code = 17
	MissingArg                Code = 19
	IncompleteVerification    Code = 23
	CannotDecrypt             Code = 29
	PasswordNotHumanReadable  Code = 31
	UnsupportedOption         Code = 37
	BadData                   Code = 41
	ExpectedText              Code = 53
	OutputExists              Code = 59
	MissingInput              Code = 61
	KeyIsProtected            Code = 67
	UnsupportedSubcommand     Code = 69
	UnsupportedSpecialPrefix  Code = 71
	AmbiguousInput            Code = 73
	KeyCannotSign             Code = 79
	IncompatibleOptions       Code = 83
	UnsupportedProfile        Code = 89
)

var codeNames = map[Code]string{
	OK:                        "OK",
	Failure:                   "FAILURE",
	NoSignature:               "NO_SIGNATURE",
	UnsupportedAsymmetricAlgo: "UNSUPPORTED_ASYMMETRIC_ALGO",
	CertCannotEncrypt:         "CERT_CANNOT_ENCRYPT",
	MissingArg:                "MISSING_ARG",
	IncompleteVerification:    "INCOMPLETE_VERIFICATION",
	CannotDecrypt:             "CANNOT_DECRYPT",
	PasswordNotHumanReadable:  "PASSWORD_NOT_HUMAN_READABLE",
	UnsupportedOption:         "UNSUPPORTED_OPTION",
	BadData:                   "BAD_DATA",
	ExpectedText:              "EXPECTED_TEXT",
	OutputExists:              "OUTPUT_EXISTS",
	MissingInput:              "MISSING_INPUT",
	KeyIsProtected:            "KEY_IS_PROTECTED",
	UnsupportedSubcommand:     "UNSUPPORTED_SUBCOMMAND",
	UnsupportedSpecialPrefix:  "UNSUPPORTED_SPECIAL_PREFIX",
	AmbiguousInput:            "AMBIGUOUS_INPUT",
	KeyCannotSign:             "KEY_CANNOT_SIGN",
	IncompatibleOptions:       "INCOMPATIBLE_OPTIONS",
	UnsupportedProfile:        "UNSUPPORTED_PROFILE",
}

// String is the specification's mnemonic for the code.
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Error is a failure with the exit code it maps to.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code.String()
	}
	return fmt.Sprintf("%v [%v]", e.Err, e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// fail makes an *Error with a formatted message.
func fail(code Code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// withCode wraps err with a code unless it already carries one.
func withCode(code Code, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: code, Err: err}
}

// codeOf returns the exit code an error maps to.
func codeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failure
}

// errHelp is returned after usage was printed on request; it exits 0.
var errHelp = errors.New("help requested")
