package sop

import (
	"bufio"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/spool"
)

// OpenPGP packet tags that decide an armor label.
const (
	tagSignature = 2
	tagSecretKey = 5
	tagPublicKey = 6
)

// packetHead describes the first packet of binary OpenPGP data.
type packetHead struct {
	tag     int
	version int // first body octet, -1 when not in the buffer
}

// firstPacket parses the header of the first packet in head. ok is false
// when head does not start with an OpenPGP packet header.
func firstPacket(head []byte) (p packetHead, ok bool) {
	if len(head) < 2 || head[0]&0x80 == 0 {
		return p, false
	}
	b := head[0]
	body := 0
	if b&0x40 != 0 { // new format
		p.tag = int(b & 0x3f)
		switch l0 := head[1]; {
		case l0 < 192:
			body = 2
		case l0 < 224:
			body = 3
		case l0 == 255:
			body = 6
		default:
			body = 2
		}
	} else {
		p.tag = int(b>>2) & 0x0f
		body = 1 + [4]int{1, 2, 4, 0}[b&3]
	}
	if p.tag == 0 {
		return p, false
	}
	p.version = -1
	if body < len(head) {
		p.version = int(head[body])
	}
	return p, true
}

// blockType is the armor label for data starting with packet p.
func (p packetHead) blockType() string {
	switch p.tag {
	case tagSignature:
		return openpgp.SignatureType
	case tagSecretKey:
		return openpgp.PrivateKeyType
	case tagPublicKey:
		return openpgp.PublicKeyType
	}
	return openpgp.MessageType
}

// v6 reports whether the data is RFC 9580 v6 material (v6 keys,
// signatures, one-pass signatures and key packets; SEIPDv2), whose armor
// carries no CRC24 checksum.
func (p packetHead) v6() bool {
	return p.version == 6 || (p.tag == 18 && p.version == 2)
}

// armorLabels maps the values of "armor --label" to block types.
var armorLabels = map[string]string{
	"sig":     openpgp.SignatureType,
	"key":     openpgp.PrivateKeyType,
	"cert":    openpgp.PublicKeyType,
	"message": openpgp.MessageType,
}

// armorer returns a writer that ASCII-armors what is written to it (or
// passes it through when armored is false). Close finishes the armor.
func armorer(w io.Writer, armored bool, blockType string, checksum bool) (io.WriteCloser, error) {
	if !armored {
		return nopCloser{w}, nil
	}
	enc, err := armor.EncodeWithChecksumOption(w, blockType, nil, checksum)
	if err != nil {
		return nil, err
	}
	return &armorWriter{enc: enc, out: w}, nil
}

// armorWriter ends the armor with a line break, as other implementations
// (and text files) do.
type armorWriter struct {
	enc io.WriteCloser
	out io.Writer
}

func (a *armorWriter) Write(p []byte) (int, error) { return a.enc.Write(p) }

func (a *armorWriter) Close() error {
	if err := a.enc.Close(); err != nil {
		return err
	}
	_, err := a.out.Write([]byte{'\n'})
	return err
}

// autoArmorer returns a writer that armors binary OpenPGP data as its first
// packet calls for: the label from the packet type, and no CRC24 for v6
// material. It holds the first bytes back until it has seen the header.
func autoArmorer(w io.Writer, armored bool) io.WriteCloser {
	if !armored {
		return nopCloser{w}
	}
	return &lazyArmor{out: w}
}

type lazyArmor struct {
	out  io.Writer
	head []byte
	enc  io.WriteCloser
}

// lazyHead is how many bytes decide the armor: a packet header (at most 6
// octets) and the version octet.
const lazyHead = 8

func (l *lazyArmor) Write(p []byte) (int, error) {
	if l.enc != nil {
		return l.enc.Write(p)
	}
	l.head = append(l.head, p...)
	if len(l.head) < lazyHead {
		return len(p), nil
	}
	if err := l.start(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lazyArmor) start() error {
	h, _ := firstPacket(l.head)
	enc, err := armorer(l.out, true, h.blockType(), !h.v6())
	if err != nil {
		return err
	}
	l.enc = enc
	head := l.head
	l.head = nil
	_, err = enc.Write(head)
	return err
}

func (l *lazyArmor) Close() error {
	if l.enc == nil {
		if err := l.start(); err != nil {
			return err
		}
	}
	return l.enc.Close()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// writeArmored writes binary OpenPGP data, armored unless armored is false,
// with the label and checksum its first packet calls for.
func writeArmored(w io.Writer, data []byte, armored bool) error {
	aw := autoArmorer(w, armored)
	if _, err := aw.Write(data); err != nil {
		return err
	}
	return aw.Close()
}

func runArmor(inv *invocation, args []string) error {
	fs := inv.flags()
	label := fs.String("label", "auto", "kind of data: `auto|sig|key|cert|message`")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	blockType, ok := armorLabels[*label]
	if !ok && *label != "auto" {
		return fail(UnsupportedOption, "--label=%s: want auto, sig, key, cert or message", *label)
	}
	in := bufio.NewReaderSize(inv.stdin, 4096)
	head, _ := in.Peek(64)
	if isArmored(head) {
		// Armoring armored data changes nothing.
		_, err := io.Copy(inv.stdout, in)
		return err
	}
	p, ok := firstPacket(head)
	if !ok {
		return fail(BadData, "input is not binary OpenPGP data")
	}
	if blockType == "" {
		blockType = p.blockType()
	}
	w, err := armorer(inv.stdout, true, blockType, !p.v6())
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	return w.Close()
}

func runDearmor(inv *invocation, args []string) error {
	fs := inv.flags()
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	in := bufio.NewReaderSize(inv.stdin, 4096)
	head, _ := in.Peek(64)
	if !isArmored(head) {
		if _, ok := firstPacket(head); !ok {
			return fail(BadData, "input is neither ASCII-armored nor binary OpenPGP data")
		}
		// Dearmoring binary data changes nothing.
		_, err := io.Copy(inv.stdout, in)
		return err
	}
	block, err := armor.Decode(in)
	if err != nil {
		return fail(BadData, "bad ASCII armor: %v", err)
	}
	// Decode all of it first: a bad checksum at the end must not leave
	// half the data on stdout.
	sp, err := spool.From(block.Body)
	if err != nil {
		return fail(BadData, "bad ASCII armor: %v", err)
	}
	defer sp.Close()
	_, err = io.Copy(inv.stdout, sp.Reader())
	return err
}
