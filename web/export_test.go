package web

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// DirectoryFresh waits until the lists' directory (directory.go) reflects
// the read models as they are now, for the tests that read a list or a
// ministry's name right after a change: a server answers from the previous
// build while it makes the next in the background. With no build yet it
// returns at once (the first request builds it).
func DirectoryFresh(ctx context.Context, h http.Handler) error {
	rt, ok := h.(*router)
	if !ok {
		return fmt.Errorf("directory fresh: %T is not the ledger's handler", h)
	}
	s := rt.s
	if s.cfg.Queries == nil {
		return nil
	}
	for {
		if s.dir.cur.Load() == nil {
			return nil
		}
		key, err := s.directoryKey(ctx)
		if err != nil {
			return err
		}
		d, err := s.directory(ctx)
		if err != nil {
			return err
		}
		if d.key == key {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("directory fresh: %w", ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// DirectoryBuild returns the number of the lists' directory build the
// handler answers from (0: none yet): the builds are numbered from 1.
func DirectoryBuild(h http.Handler) uint64 {
	if d := h.(*router).s.dir.cur.Load(); d != nil {
		return d.seq
	}
	return 0
}
