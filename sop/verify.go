package sop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
)

// verification is one good signature, as a line of VERIFICATIONS output.
type verification struct {
	created    time.Time
	signingKey string // fingerprint of the key that made the signature
	primary    string // fingerprint of its certificate's primary key
	text       bool
}

// String formats the line:
// "<ISO 8601 UTC time> <signing key fpr> <primary key fpr> mode:<binary|text>".
func (v verification) String() string {
	mode := "binary"
	if v.text {
		mode = "text"
	}
	return fmt.Sprintf("%s %s %s mode:%s", v.created.UTC().Format("2006-01-02T15:04:05Z"), v.signingKey, v.primary, mode)
}

func formatVerifications(vs []verification) []byte {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func hexFP(fp []byte) string { return fmt.Sprintf("%X", fp) }

// candidateVerifications lists the good signatures among go-crypto's
// signature candidates (checked against the certificates it was given)
// that fall in the window.
func candidateVerifications(cands []*openpgp.SignatureCandidate, win window) []verification {
	var out []verification
	for _, c := range cands {
		if c.SignatureError != nil || c.SignedBy == nil || c.SignedBy.Entity == nil || c.CorrespondingSig == nil {
			continue
		}
		sig := c.CorrespondingSig
		if !win.contains(sig.CreationTime) {
			continue
		}
		out = append(out, verification{
			created:    sig.CreationTime,
			signingKey: hexFP(c.SignedBy.PublicKey.Fingerprint),
			primary:    hexFP(c.SignedBy.Entity.PrimaryKey.Fingerprint),
			text:       sig.SigType == packet.SigTypeText,
		})
	}
	return out
}

// envelopeVerifications lists the good signatures of a message opened by
// envelope that were made by one of certs and fall in the window.
func envelopeVerifications(sigs []envelope.Signature, certs openpgp.EntityList, win window) []verification {
	trusted := map[string]bool{}
	for _, c := range certs {
		trusted[hexFP(c.PrimaryKey.Fingerprint)] = true
	}
	var out []verification
	for _, s := range sigs {
		if s.Status != envelope.SigGood || !trusted[s.Fingerprint] || !win.contains(s.Created) {
			continue
		}
		out = append(out, verification{created: s.Created, signingKey: s.SigningKey, primary: s.Fingerprint, text: s.Text})
	}
	return out
}

// readSignatures reads SIGNATURES, binary or ASCII-armored.
func readSignatures(name string) ([]byte, error) {
	data, err := readInput(name)
	if err != nil {
		return nil, err
	}
	return dearmorBytes(data)
}

// dearmorBytes returns binary OpenPGP data whether data is armored or not.
func dearmorBytes(data []byte) ([]byte, error) {
	if !isArmored(data) {
		return data, nil
	}
	block, err := armor.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fail(BadData, "bad ASCII armor: %v", err)
	}
	bin, err := io.ReadAll(block.Body)
	if err != nil {
		return nil, fail(BadData, "bad ASCII armor: %v", err)
	}
	return bin, nil
}

// checkSignatures makes sure that SIGNATURES holds signature packets and
// nothing else (a certificate has signatures too, but is not one).
func checkSignatures(sigs []byte) error {
	r := packet.NewReader(bytes.NewReader(sigs))
	n := 0
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(BadData, "cannot read signatures: %v", err)
		}
		if _, ok := p.(*packet.Signature); !ok {
			return fail(BadData, "SIGNATURES holds a %T packet", p)
		}
		n++
	}
	if n == 0 {
		return fail(BadData, "no signature found")
	}
	return nil
}

// verifyDetached checks detached signatures over data against certs.
func verifyDetached(data io.Reader, sigs []byte, certs openpgp.EntityList, win window) ([]verification, error) {
	if err := checkSignatures(sigs); err != nil {
		return nil, err
	}
	config := signConfig()
	md, err := openpgp.VerifyDetachedSignatureReader(certs, data, bytes.NewReader(sigs), config)
	if err != nil {
		if errors.Is(err, pgperrors.ErrUnknownIssuer) {
			return nil, fail(BadData, "no signature found")
		}
		return nil, fail(BadData, "cannot read signatures: %v", err)
	}
	if _, err := io.Copy(io.Discard, md.UnverifiedBody); err != nil {
		return nil, fmt.Errorf("cannot read the signed data: %w", err)
	}
	return candidateVerifications(md.SignatureCandidates, win), nil
}

func runVerify(inv *invocation, args []string) error {
	fs := inv.flags()
	notBefore := fs.String("not-before", "-", "ignore signatures made before `DATE`")
	notAfter := fs.String("not-after", "now", "ignore signatures made after `DATE`")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return fail(MissingArg, "want SIGNATURES and at least one CERTS")
	}
	win, err := parseWindow(*notBefore, *notAfter, time.Now())
	if err != nil {
		return err
	}
	sigs, err := readSignatures(pos[0])
	if err != nil {
		return err
	}
	certs, err := readCerts(pos[1:])
	if err != nil {
		return err
	}
	vs, err := verifyDetached(inv.stdin, sigs, certs, win)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return fail(NoSignature, "no good signature by the given certificates")
	}
	_, err = inv.stdout.Write(formatVerifications(vs))
	return err
}
