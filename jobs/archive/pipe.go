package archive

import (
	"errors"
	"io"
	"sync/atomic"
)

// pipe hands an entry's bytes to a goroutine that hashes and compresses them,
// so reading SQLite and encoding JSON (one core) overlap with Deflate (the
// other). Without it compression adds its whole cost to the export's time; with
// it an export runs at the speed of the slower of the two. Memory stays
// bounded: pipeBuffers buffers of pipeBufSize circulate between the two sides.
type pipe struct {
	dst  io.Writer
	full chan []byte
	free chan []byte
	done chan struct{}
	cur  []byte
	err  atomic.Pointer[error] // the consumer's first write error
}

const (
	pipeBufSize = 256 << 10
	pipeBuffers = 3
)

var errPipeClosed = errors.New("archive: write after close")

func newPipe(dst io.Writer) *pipe {
	p := &pipe{dst: dst, full: make(chan []byte, pipeBuffers), free: make(chan []byte, pipeBuffers), done: make(chan struct{})}
	for range pipeBuffers {
		p.free <- make([]byte, 0, pipeBufSize)
	}
	go p.run()
	return p
}

func (p *pipe) run() {
	defer close(p.done)
	for b := range p.full {
		if p.err.Load() == nil {
			if _, err := p.dst.Write(b); err != nil {
				p.err.Store(&err)
			}
		}
		p.free <- b[:0]
	}
}

func (p *pipe) failed() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *pipe) Write(b []byte) (int, error) { return pipeWrite(p, b) }

func (p *pipe) WriteString(s string) (int, error) { return pipeWrite(p, s) }

func pipeWrite[T string | []byte](p *pipe, b T) (int, error) {
	n := 0
	for len(b) > 0 {
		if p.cur == nil {
			if p.free == nil {
				return n, errPipeClosed
			}
			p.cur = <-p.free
			if err := p.failed(); err != nil {
				return n, err
			}
		}
		c := copy(p.cur[len(p.cur):cap(p.cur)], b)
		p.cur = p.cur[:len(p.cur)+c]
		b = b[c:]
		n += c
		if len(p.cur) == cap(p.cur) {
			p.full <- p.cur
			p.cur = nil
		}
	}
	return n, nil
}

// Close hands over what is buffered, waits for the consumer and returns its
// first error. It must be called on the error path too, so the goroutine
// ends; a second call does nothing.
func (p *pipe) Close() error {
	if p.free == nil {
		return p.failed()
	}
	if len(p.cur) > 0 {
		p.full <- p.cur
	}
	p.cur = nil
	close(p.full)
	<-p.done
	p.free = nil
	return p.failed()
}
