package roster

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead: any bytes give a File or an error, never a panic; every entry
// has a valid email and a line, every error a line within the input.
func FuzzRead(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("email;role\n\"a@x.org\";\"t\"a\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, e := range file.Entries {
			if !IsEmail(e.Email) || e.Email != strings.ToLower(e.Email) || e.Line < 2 || e.Line > lines {
				t.Fatalf("bad entry %+v", e)
			}
		}
		for _, e := range file.Errors {
			if e.Line > lines || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}
