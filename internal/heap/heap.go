// Package heap measures the Go heap while something runs, for benchmarks
// that must show memory staying flat as their input grows.
package heap

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Peak samples HeapInuse every 20 ms until stop is called and returns the
// peak in bytes.
func Peak() (stop func() uint64) {
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
