package spool

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"testing"
)

func TestSpool(t *testing.T) {
	for _, limit := range []int64{1 << 20, 1000} {
		dir := t.TempDir()
		s := New(limit, dir)
		data := make([]byte, 5000)
		rand.Read(data)
		for i := 0; i < len(data); i += 700 {
			if _, err := s.Write(data[i:min(i+700, len(data))]); err != nil {
				t.Fatal(err)
			}
		}
		if s.Size() != int64(len(data)) {
			t.Fatalf("size %d", s.Size())
		}
		for range 2 { // readers are independent
			got, _ := io.ReadAll(s.Reader())
			if !bytes.Equal(got, data) {
				t.Fatalf("limit %d: read back differs", limit)
			}
		}
		if got, _ := io.ReadAll(s.Section(100, 50)); !bytes.Equal(got, data[100:150]) {
			t.Errorf("limit %d: section differs", limit)
		}
		if !bytes.Equal(s.Head(10), data[:10]) {
			t.Errorf("head differs")
		}
		var out bytes.Buffer
		if _, err := s.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Errorf("WriteTo: %v", err)
		}
		files, _ := os.ReadDir(dir)
		if spilled := len(files) == 1; spilled != (limit < int64(len(data))) {
			t.Errorf("limit %d: %d temporary files", limit, len(files))
		}
		for _, f := range files {
			info, _ := f.Info()
			if info.Mode().Perm() != 0o600 {
				t.Errorf("temporary file mode %v", info.Mode().Perm())
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("Close left %d files", len(files))
		}
	}
}
