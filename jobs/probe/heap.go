// Package probe measures what a long write does to the rest of the app, for
// tests and benchmarks: the Go heap's peak, and how long other writers wait.
package probe

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// HeapPeak samples HeapInuse every 20 ms until stop is called and returns the
// peak in bytes.
func HeapPeak() (stop func() uint64) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}
