package archive

import (
	"archive/zip"
	"compress/flate"
	"io"
)

// dataMethod is the zip method of the README, data files and manifest.
// Benchmarks switch it to zip.Store to measure what compression costs.
var dataMethod uint16 = zip.Deflate

// compressLevel is the Deflate level registered on every archive. The default
// level (6) is the bottleneck on stdout-heavy courses (about 20 MB/s on the
// 2-core machine); BestSpeed keeps a good ratio at about three times the speed
// (see BenchmarkWrite and the figures in the package's report).
var compressLevel = flate.BestSpeed

func registerCompressor(zw *zip.Writer) {
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, compressLevel)
	})
}
