package export

import (
	"bufio"
	"io"
	"os"

	"filippo.io/age"
)

// spool holds one format's file while the records stream into another
// format's zip entry: a zip writes one entry at a time, and the records can
// be ranged over only once. It is a temporary file encrypted to a key that
// lives only in memory, so no personal data reaches the disk in the clear
// and a file left behind by a crash cannot be read.
type spool struct {
	f  *os.File
	id *age.X25519Identity
	w  io.WriteCloser
}

func newSpool(dir string) (*spool, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "steward-export-*")
	if err != nil {
		return nil, err
	}
	s := &spool{f: f, id: id}
	if s.w, err = age.Encrypt(f, id.Recipient()); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// reader finishes writing and returns the plain content from the start.
func (s *spool) reader() (io.Reader, error) {
	if err := s.w.Close(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return age.Decrypt(bufio.NewReaderSize(s.f, bufSize), s.id)
}

// remove closes and deletes the file.
func (s *spool) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}
