package restore

import "io"

// aheadReader reads its source on a goroutine of its own, a few buffers
// ahead of its reader: decompressing and hashing an entry (the source)
// then run beside scanning and parsing its rows, on the machine's other
// core, as the export's pipe runs compression beside SQLite (package
// archive). Close stops it; until then nothing else may read the source.
type aheadReader struct {
	full chan chunk
	free chan []byte
	stop chan struct{}
	done chan struct{}
	cur  chunk
	off  int
}

type chunk struct {
	b   []byte
	err error
}

const (
	aheadBufSize = 256 << 10
	aheadBuffers = 3
)

func readAhead(src io.Reader) *aheadReader {
	a := &aheadReader{full: make(chan chunk, aheadBuffers), free: make(chan []byte, aheadBuffers),
		stop: make(chan struct{}), done: make(chan struct{})}
	for range aheadBuffers {
		a.free <- make([]byte, aheadBufSize)
	}
	go a.run(src)
	return a
}

func (a *aheadReader) run(src io.Reader) {
	defer close(a.done)
	for {
		select {
		case <-a.stop:
			return
		default:
		}
		var b []byte
		select {
		case b = <-a.free:
		case <-a.stop:
			return
		}
		n, err := 0, error(nil)
		for n < len(b) && err == nil {
			var m int
			m, err = src.Read(b[n:])
			n += m
		}
		a.full <- chunk{b[:n], err} // never blocks: as many slots as buffers
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		a.cur, a.off = <-a.full, 0
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// Close stops the reading goroutine and waits for it, so the source can be
// read (or closed) again.
func (a *aheadReader) Close() {
	close(a.stop)
	<-a.done
}
