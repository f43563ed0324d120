package envelope

import (
	"bufio"
	"bytes"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// binaryReader returns a reader of the binary message whether the input is
// ASCII-armored or binary.
func binaryReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP")) {
		return br, nil
	}
	block, err := armor.Decode(br)
	if err != nil {
		return nil, err
	}
	return block.Body, nil
}
