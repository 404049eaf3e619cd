package join

import (
	"os"
	"runtime/debug"
)

// Bulk-import tuning of the garbage collector (decision 0045): a bulk import
// allocates a few hundred bytes per signature that die at once, and with Go's
// default (GOGC=100) the collector ran every few megabytes and took a fifth
// of the import's CPU. BulkGCPercent lets the heap grow to three times what is
// live between collections; BulkMemoryLimit keeps it under a bound all the
// same (the collector works harder as the heap nears it).
const (
	BulkGCPercent   = 200
	BulkMemoryLimit = 6 << 30
)

// TuneGCForBulk sets the collector for a bulk import and returns a function
// that restores the previous settings. An operator's GOGC or GOMEMLIMIT in
// the environment wins: each is left as it is when set. `collabledger import
// join` calls it, and so do the benchmarks of the import alone; not the
// caught-up ones, whose process also holds serve's read models, for which a
// larger heap cost more (page faults, zeroing) than it saved.
func TuneGCForBulk() (restore func()) {
	pct, limit := -2, int64(-1)
	if os.Getenv("GOGC") == "" {
		pct = debug.SetGCPercent(BulkGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(BulkMemoryLimit)
	}
	return func() {
		if pct != -2 {
			debug.SetGCPercent(pct)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}
