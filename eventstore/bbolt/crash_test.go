package bbolt

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

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

const crashEnv = "COLLABLEDGER_CRASH_CHILD_DB"

// TestCrashChild is the child side of TestCrashSIGKILL: it appends from 16
// goroutines until killed, printing "position id" for each acknowledged
// event. It does nothing when run on its own.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child process of TestCrashSIGKILL")
	}
	s, err := Open(context.Background(), Config{Path: path, LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				n := 1 + i%3
				evs := make([]eventstore.EventData, n)
				for j := range evs {
					evs[j] = storetest.Event(t, "test.happened", i)
				}
				res, err := s.Append(context.Background(), fmt.Sprintf("crash-%d", w), eventstore.Any, evs...)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(4)
				}
				mu.Lock()
				for _, e := range res.Events {
					fmt.Fprintf(out, "%d %s %s %d\n", e.Position, e.ID, e.Stream, e.Version)
				}
				out.Flush() // acknowledged: the parent may now count on it
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestCrashSIGKILL kills a child process that is appending with SIGKILL,
// three times on the same file, and checks after each that every event the
// child was told was stored is there, in place, and that the file is sound.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	acked := map[uuid.UUID]string{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		killAt := 1500 + round*700
		deadline := time.After(20 * time.Second)
		n := 0
		killed := false
		lines := make(chan string)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				f := strings.Fields(line)
				if len(f) != 4 {
					t.Fatalf("child said %q", line)
				}
				acked[uuid.MustParse(f[1])] = f[0] + " " + f[2] + " " + f[3]
				n++
				if n == killAt && !killed {
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = true
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("round %d: child acknowledged only %d events in 20 s", round, n)
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child did not die of SIGKILL: %v", round, err)
		}

		s := openAt(t, path)
		if err := s.Check(context.Background()); err != nil {
			t.Fatalf("round %d: after SIGKILL: %v", round, err)
		}
		stored := map[uuid.UUID]string{}
		for ev, err := range s.Subscribe(context.Background(), 0) {
			if err != nil {
				t.Fatal(err)
			}
			if err := ev.Verify(); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			stored[ev.ID] = fmt.Sprintf("%d %s %d", ev.Position, ev.Stream, ev.Version)
			if ev.Position == eventstore.Position(s.head.Load()) {
				break
			}
		}
		for id, where := range acked {
			if got, ok := stored[id]; !ok || got != where {
				t.Fatalf("round %d: acknowledged event %s (%s) after SIGKILL: %q", round, id, where, got)
			}
		}
		t.Logf("round %d: killed after %d acknowledgements; %d acknowledged in all, %d stored", round, n, len(acked), len(stored))
		s.Close()
	}
}
