package submissions

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// FuzzIngest feeds fuzzed bodies to the line reader, the decoder and the
// writer. It must never panic; a body it refuses as not NDJSON writes
// nothing (the data version stays), and every line it reads is either
// accepted or rejected with its number. Run it with
//
//	go test ./jobs/submissions -run '^$' -fuzz FuzzIngest -fuzztime 20s
func FuzzIngest(f *testing.F) {
	f.Add([]byte(line("ext-1", "hw1", "ada@school.test", fullExtra) + "\n" + line("ext-2", "hw2", "S1", "") + "\n"))
	f.Add([]byte(line("ext-1", "hw1", "bob@school.test", `,"score":2`) + "\r\n{\"id\":1}\n\n"))
	f.Add([]byte("[" + line("a", "hw1", "S1", "") + "]"))
	f.Add([]byte("<html>"))
	f.Add([]byte("\xef\xbb\xbf" + line("bom", "hw1", "S1", `,"tests":[{"name":"t","passed":true,"stdout":"\u0000"}]`)))
	f.Add([]byte(""))
	c := newCourse(f)
	// Small limits reach the too-long paths with small inputs.
	lim := Limits{MaxLine: 300, MaxStdout: 40}
	f.Fuzz(func(t *testing.T, body []byte) {
		v := c.dataVersion(t)
		res, err := Ingest(context.Background(), c.d, c.id, bytes.NewReader(body), Options{Now: testNow, Limits: lim})
		switch {
		case errors.Is(err, ErrNotNDJSON):
			if res.Accepted != 0 || c.dataVersion(t) != v {
				t.Fatalf("refused body %q wrote: %+v", body, res)
			}
		case err != nil:
			t.Fatalf("body %q: %v", body, err)
		}
		lines := bytes.Count(body, []byte("\n")) + 1
		for _, r := range res.Rejected {
			if r.Line < 1 || r.Line > lines || r.Error == "" {
				t.Fatalf("rejection %+v of a body of %d lines", r, lines)
			}
		}
		if res.Accepted+res.RejectedCount() > lines {
			t.Fatalf("%d accepted and %d rejected of %d lines", res.Accepted, res.RejectedCount(), lines)
		}
	})
}
