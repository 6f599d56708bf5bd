package archive

import (
	"archive/zip"
	"compress/flate"
	"io"
)

// dataMethod is the zip method of the README, data files and manifest.
// Benchmarks switch it to zip.Store to measure what compression costs.
var dataMethod uint16 = zip.Deflate

// compressLevel is the Deflate level registered on every archive. Measured on
// 54 MB of demo archive content (stdout-heavy JSON), same run, 2-core machine:
//
//	stdlib level 6 (zip default)   20 MB/s  ratio 18.0
//	stdlib level 1 (BestSpeed)     66 MB/s  ratio  9.7
//	klauspost/compress level 1    174 MB/s  ratio 10.5
//
// Level 6 caps the export at its speed; level 1 on its own goroutine (see
// pipe) runs beside SQLite and JSON, which are then the bottleneck (about
// 60-75 MB/s): the export runs at about 0.85 of the speed of zip.Store. The
// faster klauspost compressor did not make the export measurably faster
// (0.85-0.97 of Store, within the noise of a shared machine) and costs a
// dependency; it would save CPU (2.6 times less per MB) if that ever matters.
var compressLevel = flate.BestSpeed

func registerCompressor(zw *zip.Writer) {
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, compressLevel)
	})
}
