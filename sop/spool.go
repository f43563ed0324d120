package sop

import (
	"bytes"
	"io"
	"os"
)

// spoolMem is how much a spool holds in memory before it moves to a
// temporary file.
const spoolMem = 16 << 20

// spool holds a stream so that it can be read again (a message tried with
// several keys) or released only after a check passed. It keeps up to
// spoolMem bytes in memory and the rest in a temporary file readable by the
// owner only, which close removes.
type spool struct {
	mem  bytes.Buffer
	file *os.File
	size int64
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.mem.Len()+len(p) <= spoolMem {
		s.size += int64(len(p))
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "veil-sop-*")
		if err != nil {
			return 0, err
		}
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return 0, err
		}
		s.wipeMem()
	}
	n, err := s.file.Write(p)
	s.size += int64(n)
	return n, err
}

// reader returns a reader of everything written so far, from the start.
func (s *spool) reader() io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes())
	}
	return io.NewSectionReader(s.file, 0, s.size)
}

// section returns a reader of n bytes from offset off.
func (s *spool) section(off, n int64) io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()[off : off+n])
	}
	return io.NewSectionReader(s.file, off, n)
}

// head returns up to n bytes from the start.
func (s *spool) head(n int) []byte {
	buf := make([]byte, n)
	k, _ := io.ReadFull(s.reader(), buf)
	return buf[:k]
}

func (s *spool) wipeMem() {
	b := s.mem.Bytes()
	clear(b[:cap(b)])
	s.mem = bytes.Buffer{}
}

// close wipes the memory copy and removes the file.
func (s *spool) close() {
	s.wipeMem()
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		os.Remove(name)
		s.file = nil
	}
}

// spoolFrom copies r into a new spool.
func spoolFrom(r io.Reader) (*spool, error) {
	s := &spool{}
	if _, err := io.Copy(s, r); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}
