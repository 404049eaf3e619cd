// Package parallel spreads independent work over every CPU.
package parallel

import (
	"errors"
	"runtime"
	"sync"
)

// For calls fn(i) for i in [0, n), in up to GOMAXPROCS goroutines of at
// least perWorker calls each; a goroutine stops at its first error, and the
// errors are joined.
func For(n, perWorker int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/perWorker))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
