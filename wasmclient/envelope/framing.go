package envelope

import (
	"errors"
	"io"
)

// errFraming is returned when the packet framing of a message is broken:
// it ends inside a packet, or a length does not match the data.
var errFraming = errors.New("packet framing is broken")

// framing passes a binary OpenPGP message through while following its
// top-level packet framing (headers, lengths, partial-length chunks). The
// OpenPGP library stops reading when the data it needs has arrived, so a
// length that overstates the last chunk, or bytes after the message, would
// otherwise go unnoticed; finish reports both.
type framing struct {
	r       io.Reader
	hdr     []byte // header or length octets collected so far
	cont    bool   // collecting the length of a partial packet's next chunk
	remain  int64  // body bytes left in the current chunk
	partial bool   // the current chunk is followed by another length
	toEOF   bool   // old-format packet of indeterminate length
	bad     bool
}

func (f *framing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.feed(p[:n])
	return n, err
}

func (f *framing) feed(p []byte) {
	for len(p) > 0 && !f.bad && !f.toEOF {
		if f.remain > 0 {
			k := int64(len(p))
			if k > f.remain {
				k = f.remain
			}
			f.remain -= k
			p = p[k:]
			if f.remain == 0 && f.partial {
				f.cont, f.partial = true, false
			}
			continue
		}
		f.hdr = append(f.hdr, p[0])
		p = p[1:]
		f.header()
	}
}

// header tries to complete the header (or chunk length) in f.hdr.
func (f *framing) header() {
	h := f.hdr
	lenOctets := h
	if !f.cont {
		if h[0]&0x80 == 0 {
			f.bad = true
			return
		}
		if h[0]&0x40 == 0 { // old format
			size := [4]int{1, 2, 4, 0}[h[0]&3]
			if size == 0 {
				f.toEOF = true
				f.hdr = f.hdr[:0]
				return
			}
			if len(h) < 1+size {
				return
			}
			var n int64
			for _, c := range h[1 : 1+size] {
				n = n<<8 | int64(c)
			}
			f.start(n, false)
			return
		}
		lenOctets = h[1:]
	}
	if len(lenOctets) == 0 {
		return
	}
	l0 := lenOctets[0]
	switch {
	case l0 < 192:
		f.start(int64(l0), false)
	case l0 < 224:
		if len(lenOctets) < 2 {
			return
		}
		f.start((int64(l0)-192)<<8+int64(lenOctets[1])+192, false)
	case l0 == 255:
		if len(lenOctets) < 5 {
			return
		}
		var n int64
		for _, c := range lenOctets[1:5] {
			n = n<<8 | int64(c)
		}
		f.start(n, false)
	default:
		f.start(int64(1)<<(l0&0x1f), true)
	}
}

func (f *framing) start(n int64, partial bool) {
	f.hdr, f.cont = f.hdr[:0], false
	f.remain, f.partial = n, partial
	if n == 0 && partial {
		f.cont, f.partial = true, false
	}
}

// finish reports whether the message ended exactly at a packet boundary
// with nothing after it.
func (f *framing) finish() error {
	var one [1]byte
	for range 3 { // readers may return 0, nil a few times before EOF
		n, err := f.r.Read(one[:])
		if n > 0 {
			return errFraming
		}
		if err != nil {
			break
		}
	}
	if f.bad || f.remain > 0 || f.partial || f.cont || len(f.hdr) > 0 {
		return errFraming
	}
	return nil
}
