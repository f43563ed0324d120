package pgppacket

import (
	"errors"
	"io"
)

// ErrFraming is returned when the packet framing of a stream is broken: it
// ends inside a packet, a length overstates the data, or bytes follow the
// end of the message.
var ErrFraming = errors.New("OpenPGP packet framing is broken")

// Framing passes a binary OpenPGP stream through while following its
// top-level packet framing (headers, lengths, partial chunks). A reader
// that stops once it has the data it needs (as OpenPGP libraries do) would
// not notice a last length that overstates its chunk, or bytes after the
// message; Finish does.
type Framing struct {
	r       io.Reader
	hdr     []byte // header or chunk-length octets collected so far
	cont    bool   // collecting the length of a partial packet's next chunk
	remain  int64  // body bytes left in the current chunk
	partial bool   // the current chunk is followed by another length
	toEnd   bool   // legacy packet of indeterminate length
	bad     bool
	tags    []int // top-level packet tags seen, up to maxTags
}

// maxTags bounds how many top-level packet tags a Framing records.
const maxTags = MaxKeyPackets + 64

// NewFraming returns a Framing that reads from r.
func NewFraming(r io.Reader) *Framing { return &Framing{r: r} }

func (f *Framing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.feed(p[:n])
	return n, err
}

func (f *Framing) feed(p []byte) {
	for len(p) > 0 && !f.bad && !f.toEnd {
		if f.remain > 0 {
			k := min(int64(len(p)), f.remain)
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
func (f *Framing) header() {
	octets := f.hdr
	if !f.cont {
		h := f.hdr[0]
		if h&0x80 == 0 {
			f.bad = true
			return
		}
		if len(f.hdr) == 1 {
			f.tag(h)
		}
		if h&0x40 == 0 {
			size := legacySize(h)
			if size == 0 {
				f.toEnd = true
				f.hdr = f.hdr[:0]
				return
			}
			if len(f.hdr) == 1+size {
				f.start(decodeLegacy(f.hdr[1:]), false)
			}
			return
		}
		octets = f.hdr[1:]
	}
	if len(octets) == 0 || len(octets) < lengthSize(octets[0]) {
		return
	}
	f.start(decodeLength(octets))
}

func (f *Framing) start(n int64, partial bool) {
	f.hdr, f.cont = f.hdr[:0], false
	f.remain, f.partial = n, partial
	if n == 0 && partial {
		f.cont, f.partial = true, false
	}
}

// Finish reports whether the stream ended exactly at a packet boundary with
// nothing after what was read so far. Call it once the consumer is done.
func (f *Framing) Finish() error {
	var one [1]byte
	for range 3 { // a reader may return 0, nil a few times before EOF
		n, err := f.r.Read(one[:])
		if n > 0 {
			return ErrFraming
		}
		if err != nil {
			break
		}
	}
	if f.bad || f.remain > 0 || f.partial || f.cont || len(f.hdr) > 0 {
		return ErrFraming
	}
	return nil
}

func (f *Framing) tag(h byte) {
	if len(f.tags) >= maxTags {
		f.bad = true
		return
	}
	if h&0x40 == 0 {
		f.tags = append(f.tags, int(h>>2)&0x0f)
	} else {
		f.tags = append(f.tags, int(h&0x3f))
	}
}

// Tags returns the tags of the top-level packets seen so far, in order.
func (f *Framing) Tags() []int { return f.tags }
