package readmodels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/readmodels/asofstore"
)

// foldStores opens each kind of FoldStore afresh for a test: bbolt in a
// temporary file, PostgreSQL in a schema of its own (skipped when
// unreachable, unless required).
var foldStores = map[string]func(t testing.TB) rm.FoldStore{
	"bbolt": func(t testing.TB) rm.FoldStore {
		s, err := asofstore.OpenBolt(filepath.Join(t.TempDir(), "ledger.db.asof"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t testing.TB) rm.FoldStore {
		ctx := context.Background()
		pool, err := pgxpool.New(ctx, pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		s, err := asofstore.OpenPostgres(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		return s
	},
}

// foldsLedger records a case "c" of a few thousand events (two meetings,
// two transcript versions each, notes) and indexes it.
func foldsLedger(t *testing.T, id domain.CaseID) (eventstore.Store, *ledger, *projectiontest.Running) {
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	l.registerNetwork(tStart)
	bigCase(t, l, id, 2, 120, 2, 30)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Trail{}}})
	waitIndexed(t, store, r)
	return store, l, r
}

func waitIndexed(t *testing.T, store eventstore.Store, r *projectiontest.Running) {
	t.Helper()
	ctx := context.Background()
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(ctx, rm.TrailName, head); err != nil {
		t.Fatal(err)
	}
}

// TestCaseFoldsRestart: snapshots saved to a FoldStore (bbolt, PostgreSQL)
// by one CaseFolds are used by a new one over the same store — a
// restarted server — without a Refresh, and its views equal views folded
// from scratch on every clock. Stored snapshots the log does not bear out
// are not used and are dropped: of another log (a case of the same ID
// recorded differently), of another read-model version, truncated, or
// folded before an erasure recorded since; Refresh then rebuilds them.
func TestCaseFoldsRestart(t *testing.T) {
	ctx := context.Background()
	for name, open := range foldStores {
		t.Run(name, func(t *testing.T) {
			fs := open(t)
			store, l, r := foldsLedger(t, "c")
			first := &rm.CaseFolds{Every: 97, Store: fs}
			if err := first.Refresh(ctx, store, r, "c"); err != nil {
				t.Fatal(err)
			}
			built, covered := first.Snapshots("c")
			blobs := storedFolds(t, fs, "c")
			if len(blobs) != built || built < 5 {
				t.Fatalf("stored %d snapshots, built %d", len(blobs), built)
			}

			// A restart: a new CaseFolds, no Refresh.
			restarted := &rm.CaseFolds{Every: 97, Store: fs}
			used, points := compareFolds(t, "restarted", store, r, restarted, "c", 4)
			if used < points/3 {
				t.Errorf("restarted: only %d of %d views started from a stored snapshot", used, points)
			}
			if n, ev := restarted.Snapshots("c"); n != built || ev != covered {
				t.Errorf("restarted: %d snapshots of %d events loaded, %d of %d stored", n, ev, built, covered)
			}

			// Refresh after a restart extends the stored chain.
			for i := range 300 {
				id := domain.NoteID(fmt.Sprintf("late-%d", i))
				l.meeting("c-m0", staff, tStart.Add(40*day), func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
					return x.AddNote(domain.AddNote{MeetingID: "c-m0", NoteID: id, Board: domain.BoardMindMap, Text: "晚到的便利貼"}, staff, at)
				})
			}
			waitIndexed(t, store, r)
			if err := restarted.Refresh(ctx, store, r, "c"); err != nil {
				t.Fatal(err)
			}
			if n, _ := restarted.Snapshots("c"); n <= built {
				t.Errorf("Refresh after a restart: %d snapshots, %d before", n, built)
			}
			if more := storedFolds(t, fs, "c"); len(more) <= built || !bytes.Equal(more[built-1].Header, blobs[built-1].Header) {
				t.Errorf("Refresh after a restart stored %d snapshots, %d before, or changed the last before", len(more), built)
			}
			if used, points := compareFolds(t, "extended", store, r, &rm.CaseFolds{Every: 97, Store: fs}, "c", 4); used < points/3 {
				t.Errorf("extended: only %d of %d views started from a stored snapshot", used, points)
			}

			// Stored snapshots the log does not bear out.
			for _, bad := range []struct {
				name  string
				blobs func() []rm.StoredFold
			}{
				{"another read-model version", func() []rm.StoredFold {
					out := slices.Clone(blobs)
					for i, b := range out {
						out[i].Header = bytes.Replace(b.Header, []byte(rm.TrailName+":1"), []byte(rm.TrailName+":0"), 1)
					}
					return out
				}},
				{"a header truncated", func() []rm.StoredFold {
					out := slices.Clone(blobs)
					out[len(out)-1].Header = out[len(out)-1].Header[:len(out[len(out)-1].Header)/2]
					return out
				}},
			} {
				if err := fs.SaveFolds(ctx, "c", 0, 0, bad.blobs()); err != nil {
					t.Fatal(err)
				}
				assertNotUsed(t, bad.name, fs, store, r)
			}

			// A part missing: the view that needs it fails; the chain is then
			// dropped, and the next view folds from scratch.
			missing := slices.Clone(blobs)
			last := &missing[len(missing)-1]
			last.Parts = maps.Clone(last.Parts)
			delete(last.Parts, rm.TrailName+"/entries/keys")
			if err := fs.SaveFolds(ctx, "c", 0, 0, missing); err != nil {
				t.Fatal(err)
			}
			folds := &rm.CaseFolds{Every: 97, Store: fs}
			head, err := store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			trailAt := func() (int, error) {
				snap, err := folds.CaseAsOf(ctx, store, r, "c", rm.AsOf{Position: head})
				if err != nil {
					return 0, err
				}
				_, _, err = rm.CaseTrail(ctx, snap.Reader(rm.TrailName), "c", rm.TrailQuery{Limit: 10})
				return snap.Resumed, err
			}
			if _, err := trailAt(); err == nil {
				t.Errorf("a part missing: the view did not fail")
			}
			if resumed, err := trailAt(); err != nil || resumed != 0 {
				t.Errorf("a part missing, the next view: %v, %d events from a snapshot", err, resumed)
			}
			if left, err := fs.LoadFolds(ctx, "c"); err != nil || len(left) != 0 {
				t.Errorf("a part missing: %d stored snapshots left (%v)", len(left), err)
			}

			// Another log whose case "c" is recorded differently (a restored
			// or replaced database): hashes differ.
			if err := fs.SaveFolds(ctx, "c", 0, 0, blobs); err != nil {
				t.Fatal(err)
			}
			other := projectiontest.NewStore(t)
			ol := newLedger(t, other)
			ol.registerNetwork(tStart.Add(day))
			bigCase(t, ol, "c", 2, 120, 2, 30)
			or := projectiontest.Start(t, projections.RunnerConfig{Store: other, Projections: []projections.Projection{rm.Trail{}}})
			waitIndexed(t, other, or)
			assertNotUsed(t, "another log", fs, other, or)

			// An erasure recorded after the snapshots were folded.
			if err := fs.SaveFolds(ctx, "c", 0, 0, blobs); err != nil {
				t.Fatal(err)
			}
			erased := l.last
			l.erase(staff, tStart.Add(41*day), domain.Erase{EventID: erased.ID.String(), Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"},
				[]domain.ErasedField{{EventID: erased.ID.String(), Stream: erased.Stream, Paths: []string{"$metadata.actorId"}}})
			waitIndexed(t, store, r)
			assertNotUsed(t, "an erasure since", fs, store, r)
			// Rebuilt, folded at the erasure: kept by the next restart.
			rebuilt := &rm.CaseFolds{Every: 97, Store: fs}
			if err := rebuilt.Refresh(ctx, store, r, "c"); err != nil {
				t.Fatal(err)
			}
			again := &rm.CaseFolds{Every: 97, Store: fs}
			if used, points := compareFolds(t, "after the erasure", store, r, again, "c", 4); used < points/3 {
				t.Errorf("after the erasure: only %d of %d views started from a stored snapshot", used, points)
			}
			// A server starting after an erasure drops every chain folded
			// before it (Sweep), viewed or not.
			if err := fs.SaveFolds(ctx, "c", 0, 0, blobs); err != nil {
				t.Fatal(err)
			}
			if err := (&rm.CaseFolds{Store: fs}).Sweep(ctx, store); err != nil {
				t.Fatal(err)
			}
			if left, err := fs.LoadFolds(ctx, "c"); err != nil || len(left) != 0 {
				t.Errorf("Sweep left %d snapshots folded before the erasure (%v)", len(left), err)
			}
		})
	}
}

// storedFolds reads a case's stored snapshots whole.
func storedFolds(t *testing.T, fs rm.FoldStore, id domain.CaseID) []rm.StoredFold {
	t.Helper()
	ctx := context.Background()
	headers, err := fs.LoadFolds(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]rm.StoredFold, len(headers))
	for i, h := range headers {
		var sections struct {
			Sections map[string]map[string]int `json:"sections"`
		}
		if err := json.Unmarshal(h, &sections); err != nil {
			t.Fatal(err)
		}
		out[i] = rm.StoredFold{Header: h, Parts: map[string][]byte{}}
		for model, colls := range sections.Sections {
			for c := range colls {
				for _, p := range []string{model + "/" + c + "/keys", model + "/" + c + "/values"} {
					parts, err := fs.LoadFoldParts(ctx, id, p, []int{i})
					if err != nil || len(parts) != 1 || parts[0] == nil {
						t.Fatalf("snapshot %d part %s: %v", i, p, err)
					}
					out[i].Parts[p] = parts[0]
				}
			}
		}
	}
	return out
}

// assertNotUsed: a new CaseFolds over fs does not start any view of case
// "c" from the stored snapshots, its views equal those from scratch, and
// the stored snapshots are dropped (Refresh would rebuild them).
func assertNotUsed(t *testing.T, stage string, fs rm.FoldStore, store eventstore.Store, r rm.Index) {
	t.Helper()
	folds := &rm.CaseFolds{Every: 97, Store: fs}
	if used, _ := compareFolds(t, stage, store, r, folds, "c", 2); used != 0 {
		t.Errorf("%s: %d views started from stored snapshots", stage, used)
	}
	if left, err := fs.LoadFolds(context.Background(), "c"); err != nil || len(left) != 0 {
		t.Errorf("%s: %d stored snapshots left (%v)", stage, len(left), err)
	}
}

// TestCaseFoldsBounded: with MaxBytes, the snapshots kept in memory never
// cost more than the bound: refreshing a second case drops the least
// recently used one from memory, and its next view loads it again from
// the store and starts from a snapshot.
func TestCaseFoldsBounded(t *testing.T) {
	ctx := context.Background()
	fs := foldStores["bbolt"](t)
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	l.registerNetwork(tStart)
	bigCase(t, l, "c", 2, 120, 2, 30)
	bigCase(t, l, "d", 2, 120, 2, 30)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Trail{}}})
	waitIndexed(t, store, r)

	// One case's chain, to size the bound: room for one, not two.
	probe := &rm.CaseFolds{Every: 97}
	if err := probe.Refresh(ctx, store, r, "c"); err != nil {
		t.Fatal(err)
	}
	one, _ := probe.Bytes()
	folds := &rm.CaseFolds{Every: 97, Store: fs, MaxBytes: one * 3 / 2}
	within := func(stage string, want domain.CaseID) {
		t.Helper()
		if used, cases := folds.Bytes(); used > folds.MaxBytes {
			t.Fatalf("%s: %d bytes of %d cases kept, bound %d", stage, used, cases, folds.MaxBytes)
		}
		if n, _ := folds.Snapshots(want); n == 0 {
			t.Fatalf("%s: case %s not kept", stage, want)
		}
	}
	for _, id := range []domain.CaseID{"c", "d"} {
		if err := folds.Refresh(ctx, store, r, id); err != nil {
			t.Fatal(err)
		}
		within("refreshed "+string(id), id)
	}
	if n, _ := folds.Snapshots("c"); n != 0 {
		t.Fatalf("case c still in memory beside d: %d snapshots", n)
	}
	// c's next views load it again, reading its parts as they need them,
	// start from a snapshot, agree with views from scratch, and the bound
	// holds (d is dropped when c's parts read no longer leave room).
	if used, points := compareFolds(t, "reloaded", store, r, folds, "c", 4); used < points/3 {
		t.Errorf("reloaded: only %d of %d views started from a snapshot", used, points)
	}
	within("viewed c", "c")
	if n, _ := folds.Snapshots("d"); n != 0 {
		t.Errorf("case d still in memory beside c: %d snapshots", n)
	}
}
