package envelope

import (
	"bytes"
	"io"
	"os"
)

// spool holds plaintext until it is authenticated: in memory up to
// memLimit bytes, then in a temporary file (0600, removed on close).
type spool struct {
	mem      bytes.Buffer
	memLimit int64
	dir      string
	file     *os.File
	size     int64
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(s.mem.Len()+len(p)) <= s.memLimit {
		s.size += int64(len(p))
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "veil-spool-*")
		if err != nil {
			return 0, err
		}
		// Unlink at once where the system allows; Close removes it anyway.
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return 0, err
		}
		s.mem = bytes.Buffer{}
	}
	n, err := s.file.Write(p)
	s.size += int64(n)
	return n, err
}

// copyTo writes everything spooled to w.
func (s *spool) copyTo(w io.Writer) error {
	if s.file == nil {
		_, err := w.Write(s.mem.Bytes())
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, s.file)
	return err
}

// close wipes the memory copy and removes the file.
func (s *spool) close() {
	b := s.mem.Bytes()
	clear(b[:cap(b)])
	s.mem = bytes.Buffer{}
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		os.Remove(name)
		s.file = nil
	}
}

type fsPathError = os.PathError
