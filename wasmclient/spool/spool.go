// Package spool holds a stream so that it can be read again or released
// only after a check has passed: in memory up to a limit, then in a
// temporary file that only its owner can read and that Close removes.
//
// The envelope package spools plaintext until a message is authenticated;
// the Stateless OpenPGP commands spool input they must read more than once.
// In the browser there is no temporary directory: a spool that outgrows its
// memory limit there fails with the error of os.CreateTemp.
package spool

import (
	"bytes"
	"io"
	"os"
)

// DefaultMemLimit is how much a spool keeps in memory unless told otherwise.
const DefaultMemLimit = 8 << 20

// Spool is a write-once, read-many buffer. The zero value is not usable:
// call New.
type Spool struct {
	mem      bytes.Buffer
	memLimit int64
	dir      string
	file     *os.File
	size     int64
}

// New returns an empty spool that keeps up to memLimit bytes in memory
// (DefaultMemLimit if memLimit <= 0) and the rest in a temporary file in
// dir ("" for the system's temporary directory).
func New(memLimit int64, dir string) *Spool {
	if memLimit <= 0 {
		memLimit = DefaultMemLimit
	}
	return &Spool{memLimit: memLimit, dir: dir}
}

// From copies r into a new spool with the default limits.
func From(r io.Reader) (*Spool, error) {
	s := New(0, "")
	if _, err := io.Copy(s, r); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(s.mem.Len()+len(p)) <= s.memLimit {
		s.size += int64(len(p))
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "veil-spool-*")
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

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.size }

// Reader returns a reader of everything written so far, from the start.
// Readers are independent of each other.
func (s *Spool) Reader() io.Reader { return s.Section(0, s.size) }

// Section returns a reader of n bytes from offset off.
func (s *Spool) Section(off, n int64) io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()[off : off+n])
	}
	return io.NewSectionReader(s.file, off, n)
}

// Head returns up to n bytes from the start.
func (s *Spool) Head(n int) []byte {
	buf := make([]byte, n)
	k, _ := io.ReadFull(s.Reader(), buf)
	return buf[:k]
}

// WriteTo writes everything spooled to w.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, s.Reader())
}

func (s *Spool) wipeMem() {
	b := s.mem.Bytes()
	clear(b[:cap(b)])
	s.mem = bytes.Buffer{}
}

// Close wipes the memory copy and removes the file.
func (s *Spool) Close() error {
	s.wipeMem()
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.file = nil
	return err
}
