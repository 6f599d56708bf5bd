package files_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
)

// archiveLike is n incompressible bytes, made on the fly from a 1 MiB
// random block (an archive is mostly deflated data): nothing of it is held.
type archiveLike struct {
	block []byte
	left  int64
	off   int
}

func (a *archiveLike) Read(p []byte) (int, error) {
	if a.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), a.left)], a.block[a.off:])
	a.off = (a.off + n) % len(a.block)
	a.left -= int64(n)
	return n, nil
}

// BenchmarkStore1GiB streams a 1 GiB archive-like file through Produce (as
// an export does) into each store and reports MB/s and the process's peak
// RSS. Run one store per process for a clean RSS figure:
//
//	go test ./db/files -run '^$' -bench 'Store1GiB/dir' -benchtime 1x
//	. .ci/s3; go test ./db/files -run '^$' -bench 'Store1GiB/s3' -benchtime 1x
func BenchmarkStore1GiB(b *testing.B) {
	stores := map[string]func(b *testing.B) files.Blobs{
		"dir": func(b *testing.B) files.Blobs { return nil },
		"s3": func(b *testing.B) files.Blobs { // the default 16 MiB parts
			cfg, err := files.ParseS3URL(filestest.UniqueS3URL(b))
			if err != nil {
				b.Fatal(err)
			}
			s, err := files.NewS3(cfg)
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			d, err := db.Open(ctx, filepath.Join(b.TempDir(), "coursevault.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			d.InTx(ctx, func(tx *db.Queries) error {
				_, err := tx.InsertCourse(ctx, db.Course{Code: "BIG", Name: "Big", CreatedAt: time.Now()})
				return err
			})
			fs, err := files.New(d, filepath.Join(b.TempDir(), "attachments"), files.Options{Blobs: open(b), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			const size = 1 << 30
			block := make([]byte, 1<<20)
			rand.Read(block)
			b.SetBytes(size)
			for b.Loop() {
				f, err := fs.Produce(ctx, files.Input{Owner: files.Course(1), Category: files.CourseArchive}, func(w io.Writer, in *files.Input) error {
					in.Filename = "big.zip"
					_, err := io.CopyBuffer(w, &archiveLike{block: block, left: size}, make([]byte, 32<<10))
					return err
				})
				if err != nil || f.Size != size {
					b.Fatalf("stored %d bytes: %v", f.Size, err)
				}
				b.StopTimer()
				fs.Delete(ctx, f)
				b.StartTimer()
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
		})
	}
}
