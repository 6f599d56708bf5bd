package gradebook

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: any bytes give a File or an error, never a panic; every score
// is a finite non-negative number of a known column, every error has a line
// within the input; and planning a file against a course writes nothing.
func FuzzRead(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("email;assignment;score\n\"a@x.org\";\"h\"w\";1\n"))
	f.Add([]byte("SIS User ID,Lab (1)\nPoints Possible,0\n00417,5%\n"))
	c := newCourse(f)
	before := c.version()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, r := range file.Rows {
			if r.Line < 2 || r.Line > lines || r.Email == "" && r.StudentID == "" && r.Login == "" {
				t.Fatalf("bad row %+v", r)
			}
			for _, s := range r.Scores {
				if s.Column < 0 || s.Column >= len(file.Columns) || s.Value < 0 || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
					t.Fatalf("bad score %+v", s)
				}
			}
		}
		for _, e := range file.Errors {
			if e.Line > lines || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
		if _, err := Plan(context.Background(), c.d.Queries, c.id, file); err != nil {
			t.Fatal(err)
		}
		if co, err := c.d.CourseByID(context.Background(), c.id); err != nil || co.DataVersion != before {
			t.Fatal("planning wrote something", err)
		}
	})
}
