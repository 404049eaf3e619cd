// Package pgstats keeps PostgreSQL's planner statistics of fast-growing
// tables in step with them.
//
// A catch-up, a rebuild or an import writes hundreds of thousands of rows in
// minutes; until a table is analyzed again PostgreSQL plans for the table it
// last saw (a few rows: a sequential scan for each lookup, so the work grows
// with the square of the rows). Autovacuum's analyze comes a minute or more
// later, or never where it is turned off. An Analyzer analyzes its tables
// itself each time as many rows were written as they held at the last
// analyze (at least Every), in the background, one at a time.
//
//	a := pgstats.New(pool, logger, "rm_docs")
//	... commit n rows ...
//	a.Wrote(n)
//	defer a.Wait() // before closing the pool
package pgstats

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Every is the fewest rows written between two analyzes.
const Every = 20_000

// Analyzer analyzes tables as they grow. It is safe for concurrent use.
type Analyzer struct {
	pool     *pgxpool.Pool
	log      *slog.Logger
	tables   string
	written  atomic.Int64 // rows written since the last analyze
	baseline atomic.Int64 // rows written before it
	running  atomic.Bool
	wg       sync.WaitGroup
}

// New returns an Analyzer of tables (names as SQL identifiers, already
// quoted or schema-qualified if need be).
func New(pool *pgxpool.Pool, log *slog.Logger, tables ...string) *Analyzer {
	if log == nil {
		log = slog.Default()
	}
	return &Analyzer{pool: pool, log: log, tables: strings.Join(tables, ", ")}
}

// Wrote counts n rows written and, when the tables have grown enough since
// the last analyze, analyzes them in the background.
func (a *Analyzer) Wrote(n int) {
	w := a.written.Add(int64(n))
	if w < max(Every, a.baseline.Load()) || !a.running.CompareAndSwap(false, true) {
		return
	}
	a.baseline.Add(a.written.Swap(0))
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := a.pool.Exec(ctx, "ANALYZE "+a.tables); err != nil {
			a.log.Warn("analyze", "tables", a.tables, "err", err)
			return
		}
		a.log.Debug("analyzed", "tables", a.tables, "rows_written", a.baseline.Load(), "took", time.Since(start))
	}()
}

// Wait waits for a running analyze to end: call it before closing the pool.
func (a *Analyzer) Wait() { a.wg.Wait() }
