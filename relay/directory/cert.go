package directory

import (
	"bytes"
	//lint:ignore SA1019 DSA keys exist in the wild; the directory only reads their size
	"crypto/dsa"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// OpenPGP packet tags the upload check looks for.
const (
	tagSecretKey    = 5
	tagPublicKey    = 6
	tagSecretSubkey = 7
)

var (
	errSecret  = errors.New("upload holds secret key material")
	errGarbage = errors.New("no OpenPGP key found")
)

// upload is what an uploaded blob holds once read.
type upload struct {
	// keys are the certificates, cleaned, in upload order.
	keys []*openpgp.Entity
	// rejected are the primary keys in the upload that were refused.
	rejected []Rejected
}

// readUpload reads one or more keys, armored (any number of armor blocks)
// or binary, and cleans them. It fails for data holding no key at all
// (errGarbage) and for any secret key material (errSecret).
func readUpload(data []byte) (*upload, error) {
	blocks, err := dearmor(data)
	if err != nil {
		return nil, err
	}
	up := &upload{}
	seen := map[string]bool{}
	for _, bin := range blocks {
		primaries, secret := scanPackets(bin)
		if secret {
			return nil, errSecret
		}
		el, err := persona.ReadKeys(bin)
		if err != nil {
			el = nil
		}
		parsed := map[string]bool{}
		for _, e := range el {
			if e.PrivateKey != nil {
				return nil, errSecret
			}
			for _, sk := range e.Subkeys {
				if sk.PrivateKey != nil {
					return nil, errSecret
				}
			}
			fpr := persona.Fingerprint(e)
			parsed[fpr] = true
			clean, reason := cleanEntity(e)
			if clean == nil {
				up.rejected = append(up.rejected, Rejected{Fingerprint: fpr, Reason: reason})
				seen[fpr] = true
				continue
			}
			up.keys = append(up.keys, clean)
		}
		// Primary keys the library skipped: no self-signed user ID at
		// all, or an algorithm it cannot read.
		for _, fpr := range primaries {
			if fpr == "" || parsed[fpr] || seen[fpr] {
				continue
			}
			seen[fpr] = true
			up.rejected = append(up.rejected, Rejected{Fingerprint: fpr, Reason: "no user ID with a valid self-signature, or an unsupported key"})
		}
	}
	if len(up.keys) == 0 && len(up.rejected) == 0 {
		return nil, errGarbage
	}
	return up, nil
}

// dearmor returns the binary blocks of data: every armored key block in
// it, or data itself when it is not armored.
func dearmor(data []byte) ([][]byte, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0]&0x80 != 0 {
		// Binary OpenPGP: every packet header has its top bit set.
		return [][]byte{data}, nil
	}
	var blocks [][]byte
	rest := data
	for {
		i := bytes.Index(rest, []byte("-----BEGIN PGP "))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.Index(rest, []byte("-----END PGP "))
		if end < 0 {
			return nil, errGarbage
		}
		// Include the END line itself, up to its closing dashes (another
		// block may follow on the same line).
		stop := end + len("-----END PGP ")
		if dashes := bytes.Index(rest[stop:], []byte("-----")); dashes >= 0 {
			stop += dashes + len("-----")
		} else {
			stop = len(rest)
		}
		block, err := armor.Decode(bytes.NewReader(rest[:stop]))
		if err != nil {
			return nil, errGarbage
		}
		switch block.Type {
		case openpgp.PrivateKeyType:
			return nil, errSecret
		case openpgp.PublicKeyType:
		default:
			return nil, errGarbage
		}
		bin, err := io.ReadAll(block.Body)
		if err != nil {
			return nil, errGarbage
		}
		blocks = append(blocks, bin)
		rest = rest[stop:]
	}
	if len(blocks) == 0 {
		return nil, errGarbage
	}
	return blocks, nil
}

// scanPackets walks the top-level packets of bin and reports the
// fingerprints of its primary public keys (empty where the key packet does
// not parse) and whether any secret key packet is present. It stops at the
// first broken header; the OpenPGP parser fails there too.
func scanPackets(bin []byte) (primaries []string, secret bool) {
	rest := bin
	for len(rest) > 0 {
		tag, next, ok := pgppacket.Next(rest)
		if !ok {
			break
		}
		pkt := rest[:len(rest)-len(next)]
		switch tag {
		case tagSecretKey, tagSecretSubkey:
			secret = true
		case tagPublicKey:
			fpr := ""
			if p, err := packet.Read(bytes.NewReader(pkt)); err == nil {
				if pk, ok := p.(*packet.PublicKey); ok {
					fpr = strings.ToUpper(fmt.Sprintf("%x", pk.Fingerprint))
				}
			}
			primaries = append(primaries, fpr)
		}
		rest = next
	}
	return primaries, secret
}

// Signature types (RFC 9580, section 5.2.1).
func isCertification(t packet.SignatureType) bool {
	switch t {
	case packet.SigTypeGenericCert, packet.SigTypePersonaCert, packet.SigTypeCasualCert, packet.SigTypePositiveCert:
		return true
	}
	return false
}

// acceptable reports whether a signature's details are ones OpenPGP
// libraries honour: no rejected hash, no unknown critical notation.
func acceptable(sig *packet.Signature) bool {
	var config *packet.Config
	if config.RejectHashAlgorithm(sig.Hash) {
		return false
	}
	for _, n := range sig.Notations {
		if n.IsCritical && !config.KnownNotation(n.Name) {
			return false
		}
	}
	return true
}

// cleanEntity returns a copy of e with only what the key itself signed:
// valid self-certifications and revocations by the primary key, user IDs
// and subkeys that have a valid self-signature. Third-party certifications
// are dropped. It returns nil and a reason when nothing valid is left.
func cleanEntity(e *openpgp.Entity) (*openpgp.Entity, string) {
	pk := e.PrimaryKey
	if reason := keySizeProblem(pk); reason != "" {
		return nil, reason
	}
	out := &openpgp.Entity{PrimaryKey: pk, Identities: map[string]*openpgp.Identity{}}
	keep := func(sigs []*packet.VerifiableSignature, ok func(*packet.Signature) bool) []*packet.VerifiableSignature {
		var kept []*packet.VerifiableSignature
		for _, s := range sigs {
			if s == nil || s.Packet == nil || !acceptable(s.Packet) || !ok(s.Packet) {
				continue
			}
			kept = append(kept, packet.NewVerifiableSig(s.Packet))
		}
		return kept
	}
	out.Revocations = keep(e.Revocations, func(s *packet.Signature) bool {
		return s.SigType == packet.SigTypeKeyRevocation && pk.VerifyRevocationSignature(s) == nil
	})
	out.DirectSignatures = keep(e.DirectSignatures, func(s *packet.Signature) bool {
		return s.SigType == packet.SigTypeDirectSignature && pk.VerifyDirectKeySignature(s) == nil
	})
	for name, id := range e.Identities {
		if id == nil || id.UserId == nil {
			continue
		}
		selfs := keep(id.SelfCertifications, func(s *packet.Signature) bool {
			return isCertification(s.SigType) && pk.VerifyUserIdSignature(name, pk, s) == nil
		})
		if len(selfs) == 0 {
			continue
		}
		revs := keep(id.Revocations, func(s *packet.Signature) bool {
			return s.SigType == packet.SigTypeCertificationRevocation && pk.VerifyUserIdSignature(name, pk, s) == nil
		})
		out.Identities[name] = &openpgp.Identity{
			Primary:            out,
			Name:               name,
			UserId:             id.UserId,
			SelfCertifications: selfs,
			Revocations:        revs,
		}
	}
	for _, sk := range e.Subkeys {
		sub := sk.PublicKey
		if sub == nil || keySizeProblem(sub) != "" {
			continue
		}
		binds := keep(sk.Bindings, func(s *packet.Signature) bool {
			return s.SigType == packet.SigTypeSubkeyBinding && pk.VerifyKeySignature(sub, s) == nil
		})
		if len(binds) == 0 {
			continue
		}
		revs := keep(sk.Revocations, func(s *packet.Signature) bool {
			return s.SigType == packet.SigTypeSubkeyRevocation && pk.VerifySubkeyRevocationSignature(s, sub) == nil
		})
		// The same subkey twice (a careless keyring merge) becomes one.
		if i := slices.IndexFunc(out.Subkeys, func(have openpgp.Subkey) bool {
			return bytes.Equal(have.PublicKey.Fingerprint, sub.Fingerprint)
		}); i >= 0 {
			out.Subkeys[i].Bindings = append(out.Subkeys[i].Bindings, binds...)
			out.Subkeys[i].Revocations = append(out.Subkeys[i].Revocations, revs...)
			continue
		}
		out.Subkeys = append(out.Subkeys, openpgp.Subkey{Primary: out, PublicKey: sub, Bindings: binds, Revocations: revs})
	}
	if pk.Version >= 6 {
		if len(out.DirectSignatures) == 0 {
			return nil, "no valid direct-key self-signature"
		}
	} else if len(out.Identities) == 0 {
		return nil, "no user ID with a valid self-signature"
	}
	return out, ""
}

// Size limits on finite-field keys. Verifying a signature costs a modular
// exponentiation that grows with the cube of these sizes (for DSA, of q as
// well as p), so a key far larger than any tool makes could tie up the
// relay for seconds per signature. GnuPG makes RSA keys of at most 4096
// bits (8192 with --enable-large-rsa) and DSA keys of at most 3072 bits.
const (
	maxRSABits     = 16384
	maxDSABits     = 3072
	maxDSAQBits    = 256
	maxElGamalBits = 16384
)

// keySizeProblem says why a key's size is refused, or "".
func keySizeProblem(pk *packet.PublicKey) string {
	bits := 0
	if b, err := pk.BitLength(); err == nil {
		bits = int(b)
	}
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		if bits > maxRSABits {
			return fmt.Sprintf("RSA key of %d bits (at most %d are accepted)", bits, maxRSABits)
		}
	case packet.PubKeyAlgoDSA:
		q := 0
		if k, ok := pk.PublicKey.(*dsa.PublicKey); ok && k.Q != nil {
			q = k.Q.BitLen()
		}
		if bits > maxDSABits || q > maxDSAQBits {
			return fmt.Sprintf("DSA key of %d/%d bits (at most %d/%d are accepted)", bits, q, maxDSABits, maxDSAQBits)
		}
	case packet.PubKeyAlgoElGamal:
		if bits > maxElGamalBits {
			return fmt.Sprintf("ElGamal key of %d bits (at most %d are accepted)", bits, maxElGamalBits)
		}
	}
	return ""
}

// serialize writes a cleaned certificate in a canonical order (user IDs by
// name, subkeys by creation time, signatures by creation time; duplicate
// signatures once), so that the same content always gives the same bytes.
func serialize(e *openpgp.Entity) ([]byte, error) {
	var buf bytes.Buffer
	if err := e.PrimaryKey.Serialize(&buf); err != nil {
		return nil, err
	}
	writeSigs := func(sigs []*packet.VerifiableSignature) error {
		type enc struct {
			t time.Time
			b []byte
		}
		var all []enc
		for _, s := range sigs {
			var b bytes.Buffer
			if err := s.Packet.Serialize(&b); err != nil {
				return err
			}
			all = append(all, enc{s.Packet.CreationTime, b.Bytes()})
		}
		sort.Slice(all, func(i, j int) bool {
			if !all[i].t.Equal(all[j].t) {
				return all[i].t.Before(all[j].t)
			}
			return bytes.Compare(all[i].b, all[j].b) < 0
		})
		for i, s := range all {
			if i > 0 && bytes.Equal(s.b, all[i-1].b) {
				continue
			}
			buf.Write(s.b)
		}
		return nil
	}
	if err := writeSigs(e.Revocations); err != nil {
		return nil, err
	}
	if err := writeSigs(e.DirectSignatures); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(e.Identities))
	for name := range e.Identities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		id := e.Identities[name]
		if err := id.UserId.Serialize(&buf); err != nil {
			return nil, err
		}
		if err := writeSigs(id.Revocations); err != nil {
			return nil, err
		}
		if err := writeSigs(id.SelfCertifications); err != nil {
			return nil, err
		}
	}
	subs := slices.Clone(e.Subkeys)
	sort.SliceStable(subs, func(i, j int) bool {
		a, b := subs[i].PublicKey, subs[j].PublicKey
		if !a.CreationTime.Equal(b.CreationTime) {
			return a.CreationTime.Before(b.CreationTime)
		}
		return bytes.Compare(a.Fingerprint, b.Fingerprint) < 0
	})
	for _, sk := range subs {
		if err := sk.PublicKey.Serialize(&buf); err != nil {
			return nil, err
		}
		if err := writeSigs(sk.Revocations); err != nil {
			return nil, err
		}
		if err := writeSigs(sk.Bindings); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// parseCert reads one stored (binary, cleaned) certificate.
func parseCert(cert []byte) (*openpgp.Entity, error) {
	el, err := openpgp.ReadKeyRing(bytes.NewReader(cert))
	if err != nil {
		return nil, err
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("stored certificate holds %d keys", len(el))
	}
	return el[0], nil
}

// armorCert armors a binary certificate as a public key block.
func armorCert(cert []byte, version int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.EncodeWithChecksumOption(&buf, openpgp.PublicKeyType, nil, version < 6)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(cert); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// filterUserIDs returns the certificate with only the user IDs whose email
// is addr (WKD serves a key with just the address asked for).
func filterUserIDs(cert []byte, addr string) ([]byte, error) {
	e, err := parseCert(cert)
	if err != nil {
		return nil, err
	}
	for name, id := range e.Identities {
		if got, _ := normalizeEmail(id.UserId.Email); got != addr {
			delete(e.Identities, name)
		}
	}
	if len(e.Identities) == 0 {
		return nil, errors.New("no user ID with that address")
	}
	return serialize(e)
}
