package web

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compressMin is the smallest response worth compressing. A pending export
// row, polled every 2 s, is about 900 bytes and stays plain:
// BenchmarkCompression shows gzip adding some 8 % of the request's CPU to
// save 400 bytes, while a page or a JSON list of a few kilobytes shrinks
// three- to twentyfold.
const compressMin = 1024

// compressedTypes are the responses worth compressing: text. Archives,
// workbooks and images are compressed already.
var compressedTypes = []string{
	"text/html", "text/css", "text/javascript", "text/plain", "text/csv",
	"application/javascript", "application/json", "application/x-ndjson", "image/svg+xml",
}

// compress gzips (or zstd-compresses, when the browser offers it) text
// responses of at least compressMin bytes for clients whose Accept-Encoding
// asks. It is klauspost/compress's gzhttp rather than Echo's Gzip middleware:
// gzhttp decides by the response's Content-Type (Echo's compresses whatever
// it is not told to skip), waits for MinSize bytes before choosing, leaves a
// 206 with Content-Range alone, and its gzip is about twice as fast as the
// standard library's that Echo uses. Downloads (/files/...) never pass
// through it whatever their type, nor do Range requests: their bytes, Range
// answers, ETag and Content-Length stay exactly as http.ServeContent makes them.
func compress(h http.Handler) http.Handler { return compressAbove(h, compressMin) }

// compressAbove is compress with another threshold (the benchmark's 0).
func compressAbove(h http.Handler, minSize int) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(minSize), gzhttp.ContentTypes(compressedTypes))
	if err != nil {
		panic("web: gzhttp options: " + err.Error()) // constants: a programming error
	}
	gz := wrap(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/files/") || r.Header.Get("Range") != "" {
			h.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}
