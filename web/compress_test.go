package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"coursevault/db"
	"coursevault/jobs/exports"
)

func gunzip(t *testing.T, body string) string {
	t.Helper()
	r, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCompression_textIsGzippedWhenAsked(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	for _, tc := range []struct{ name, path, want string }{
		{"page", fmt.Sprintf("/courses/%d/performance", demoWithPeriods), "<!doctype html>"},
		{"JSON", fmt.Sprintf("/api/courses/%d/performance", demoWithPeriods), `{"course":`},
		{"CSS", "/static/pico-2.1.1.min.css", "pico"},
		{"JS", "/static/htmx-2.0.11.min.js", "htmx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := c.do(http.MethodGet, tc.path, nil, map[string]string{"Accept-Encoding": "gzip"})
			if res.StatusCode != ok || res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("status %d, Content-Encoding %q, Vary %q", res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			}
			if plain := gunzip(t, body); !strings.Contains(strings.ToLower(plain), strings.ToLower(tc.want)) {
				t.Fatalf("the unzipped body lacks %q: %.200s", tc.want, plain)
			}
			res, body = c.do(http.MethodGet, tc.path, nil, map[string]string{"Accept-Encoding": "identity"})
			if res.Header.Get("Content-Encoding") != "" || !strings.Contains(strings.ToLower(body), strings.ToLower(tc.want)) {
				t.Fatalf("without gzip in Accept-Encoding: Content-Encoding %q", res.Header.Get("Content-Encoding"))
			}
		})
	}
}

// A pending row, polled every 2 s, is under a kilobyte: BenchmarkCompression
// shows gzip would cost more CPU than its few hundred bytes are worth.
func TestCompression_pollFragmentsUnderAKilobyteStayPlain(t *testing.T) {
	f := newFixture(t)
	e, _, err := f.srv.exports.Request(context.Background(), exports.Request{CourseID: demoWithoutPeriods, UserID: f.users[asTeacher], Kind: db.ExportBook})
	if err != nil {
		t.Fatal(err)
	}
	c := f.as(demoTeacher)
	hdr := htmx(c)
	hdr["Accept-Encoding"] = "gzip"
	res, body := c.do(http.MethodGet, fmt.Sprintf("/courses/%d/performance/exports/%d", demoWithoutPeriods, e.ID), nil, hdr)
	if res.StatusCode != ok || len(body) >= compressMin || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("the poll fragment: status %d, %d bytes, Content-Encoding %q\n%s", res.StatusCode, len(body), res.Header.Get("Content-Encoding"), gunzip(t, body))
	}
}

// Workbooks and archives are zip files already, and a resumed download
// asks for a Range: whatever Accept-Encoding says, a download's status,
// headers and bytes are the same.
func TestCompression_downloadsAndRangesAreUnchanged(t *testing.T) {
	f := newFixture(t)
	e := f.readyBook(demoWithPeriods)
	c := f.as(demoTeacher)
	path := fileURL(e.Token, e.Filename)
	for _, rng := range []string{"", "bytes=0-99", "bytes=100-"} {
		t.Run("range "+rng, func(t *testing.T) {
			plainRes, plain := c.do(http.MethodGet, path, nil, map[string]string{"Accept-Encoding": "identity", "Range": rng})
			gzRes, gz := c.do(http.MethodGet, path, nil, map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd", "Range": rng})
			if gzRes.StatusCode != plainRes.StatusCode || !bytes.Equal([]byte(gz), []byte(plain)) {
				t.Fatalf("status %d vs %d, %d vs %d bytes", gzRes.StatusCode, plainRes.StatusCode, len(gz), len(plain))
			}
			for _, h := range []string{"Content-Encoding", "Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Content-Disposition", "Vary"} {
				if gzRes.Header.Get(h) != plainRes.Header.Get(h) {
					t.Errorf("%s: %q with gzip asked, %q without", h, gzRes.Header.Get(h), plainRes.Header.Get(h))
				}
			}
			if gzRes.Header.Get("Content-Encoding") != "" {
				t.Errorf("a download was compressed: %q", gzRes.Header.Get("Content-Encoding"))
			}
			if rng != "" && (gzRes.StatusCode != http.StatusPartialContent || gzRes.Header.Get("Content-Range") == "") {
				t.Errorf("a Range request answered %d, Content-Range %q", gzRes.StatusCode, gzRes.Header.Get("Content-Range"))
			}
		})
	}
	// A Range on a static file is answered with the bytes asked, uncompressed.
	res, body := c.do(http.MethodGet, "/static/app.css", nil, map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
	if res.StatusCode != http.StatusPartialContent || len(body) != 10 || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Range on app.css: %d, %d bytes, Content-Encoding %q", res.StatusCode, len(body), res.Header.Get("Content-Encoding"))
	}
}
