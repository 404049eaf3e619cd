package postgres_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

const (
	crashLogEnv = "COLLABLEDGER_PROJ_CRASH_LOG"
	crashDBEnv  = "COLLABLEDGER_PROJ_CRASH_DB"
)

func crashProjection() *projectiontest.Counter {
	return &projectiontest.Counter{ProjectionName: "crash", Thresholds: []int{50, 100}}
}

// TestCrashChild is the child side of TestCrashSIGKILL: it appends to the
// log from 8 goroutines while projecting it into PostgreSQL read models,
// printing "commit N" after each commit, until it is killed. It does
// nothing when run on its own.
func TestCrashChild(t *testing.T) {
	path, url := os.Getenv(crashLogEnv), os.Getenv(crashDBEnv)
	if path == "" || url == "" {
		t.Skip("child process of TestCrashSIGKILL")
	}
	ctx := context.Background()
	store, err := bbolt.Open(ctx, bbolt.Config{Path: path, LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Println("open log:", err)
		os.Exit(3)
	}
	b, err := postgres.Open(ctx, postgres.Config{URL: url, Logger: projectiontest.TestLogger()})
	if err != nil {
		fmt.Println("open read models:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	r, err := projections.NewRunner(projections.RunnerConfig{
		Store: store, Backend: b, Projections: []projections.Projection{crashProjection()}, MaxBatch: 37,
		Logger: projectiontest.TestLogger(),
		OnCommit: func(c projections.CommitInfo) {
			mu.Lock()
			fmt.Fprintf(out, "commit %d\n", c.To)
			out.Flush()
			mu.Unlock()
		},
	})
	if err != nil {
		fmt.Println("runner:", err)
		os.Exit(3)
	}
	go func() {
		if err := r.Run(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "run:", err)
			os.Exit(4)
		}
	}()
	for w := range 8 {
		go func() {
			for i := 0; ; i++ {
				evs := make([]eventstore.EventData, 1+i%4)
				for j := range evs {
					evs[j], _ = eventstore.NewEventData("test.happened", 1, map[string]any{"w": w, "i": i}, eventstore.Metadata{ActorID: "crash"})
				}
				if _, err := store.Append(ctx, fmt.Sprintf("crash-%d", w), eventstore.Any, evs...); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(4)
				}
				time.Sleep(time.Duration(5+w%3) * time.Millisecond)
			}
		}()
	}
	select {}
}

// TestCrashSIGKILL kills, with SIGKILL, a child process that projects a
// growing log into PostgreSQL read models, three times at different points;
// after each, a restarted projection must catch up to read models equal to a
// clean rebuild: no event lost, none applied twice.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	url := freshURL(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	ctr := crashProjection()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashLogEnv+"="+path, crashDBEnv+"="+url)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		killAt := 40 + 25*round
		commits := 0
		var last string
		deadline := time.After(30 * time.Second)
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				if !strings.HasPrefix(line, "commit ") {
					t.Fatalf("child said %q", line)
				}
				last = line
				commits++
				if commits == killAt {
					// Land after the commit, or in the middle of the next.
					time.Sleep(time.Duration(round) * 700 * time.Microsecond)
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("round %d: child committed only %d times in 30 s", round, commits)
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child did not die of SIGKILL: %v", round, err)
		}

		// Restart the projection and compare with a clean rebuild.
		store, err := bbolt.Open(context.Background(), bbolt.Config{Path: path, LockTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		b := open(t, url)
		gens, err := b.Generations(context.Background(), "crash")
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := gens.Get(gens.Active)
		head, _ := store.Head(context.Background())
		r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}})
		if err := r.WaitCaughtUp(projectiontest.Ctx(t)); err != nil {
			t.Fatal(err)
		}
		if st, _ := r.Status(context.Background()); st[0].State != projections.StateRunning || st[0].Checkpoint != head {
			t.Fatalf("round %d: status after restart: %+v", round, st[0])
		}
		r.Stop(t)
		projectiontest.SameDocs(t, fmt.Sprintf("round %d: read models after SIGKILL and restart vs clean rebuild", round),
			projectiontest.Dump(t, b, "crash", 0), projectiontest.Rebuilt(t, store, ctr, 0))
		t.Logf("round %d: killed after %d commits (%s); stored checkpoint %d, log head %d; restarted read models equal a clean rebuild",
			round, commits, last, stored.Position, head)
		b.Close()
		store.Close()
	}
}
