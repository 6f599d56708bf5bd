package archive

import (
	"archive/zip"
	"compress/flate"
	"io"
)

// registerCompressor sets the Deflate level the archive uses. The default
// level (6) is the bottleneck on stdout-heavy courses; level 1 (BestSpeed)
// keeps most of the ratio at several times the speed (see BenchmarkDeflate).
func registerCompressor(zw *zip.Writer) {
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
}
