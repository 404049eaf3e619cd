package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	pgreadmodels "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	"github.com/pdis/collab-ledger/transparency"
	"github.com/pdis/collab-ledger/web"
)

// failoverKills is how many lease holders TestFailover kills.
const failoverKills = 10

// TestFailover (#18 item 5): three `collabledger serve` processes (the
// built binary) share one PostgreSQL (a schema of their own) for the log
// and the read models; a load generator posts commands through all three
// while a lease holder is killed with SIGKILL ten times (and started
// again). Then: every acknowledged command is in the log, `verify` passes,
// every read model equals a fresh fold of the log up to its checkpoint, the
// audit of fenced writes shows no write under a stale token and every
// range of the log committed once per generation (duplicate work 0), the
// checkpoints never go back, and the takeover time (kill → every job the
// victim held running elsewhere) is measured: p50 and p99 in the log.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("the failover test takes about two minutes")
	}
	if err := pgtest.Reachable(); err != nil {
		testenv.Missing(t, "postgres", "PostgreSQL at DATABASE_URL is not reachable: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	db := pgtest.New(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "collabledger")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	skey, vkey, _, err := transparency.GenerateKey("failover")
	if err != nil {
		t.Fatal(err)
	}
	keyFile, pubFile := filepath.Join(dir, "cp.key"), filepath.Join(dir, "cp.pub")
	if err := writeKey(keyFile, skey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeKey(pubFile, vkey, 0o644); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "pseudonym.key")
	staff, info, err := runCapture(t, "tokens", "create", "--store", db.URL, "--secret-file", secretFile, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatalf("staff token: %v %s", err, info)
	}
	staff = strings.TrimSpace(staff)

	c := &cluster{t: t, bin: bin, dir: dir, args: []string{"serve", "--addr", "127.0.0.1:0", "--store", db.URL, "--read-models", db.URL,
		"--secret-file", secretFile, "--checkpoint-key", keyFile, "--checkpoint-interval", "1s", "--lease-audit"}}
	defer c.stopAll()
	c.start(ctx) // the first makes the pseudonym secret of the new store
	var wg sync.WaitGroup
	for range 2 { // the others start together
		wg.Go(func() { c.start(ctx) })
	}
	wg.Wait()

	// the load: commands posted through every server in turn
	load := &loadGen{c: c, token: staff}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var lw sync.WaitGroup
	for g := range 4 {
		lw.Go(func() { load.run(loadCtx, g) })
	}

	var takeovers []time.Duration
	time.Sleep(3 * time.Second)
	for i := range failoverKills {
		victim, jobs := c.pickHolder(ctx)
		t0 := time.Now()
		c.kill(victim)
		took := c.waitTakeover(ctx, victim, jobs, t0)
		takeovers = append(takeovers, took)
		t.Logf("kill %d: %s held %d job(s) (%s); taken over in %v", i+1, victim, len(jobs), strings.Join(jobs, ", "), took.Round(time.Millisecond))
		c.start(ctx)
		time.Sleep(time.Duration(1000+rand.IntN(2000)) * time.Millisecond)
	}
	stopLoad()
	lw.Wait()
	acked := load.ackedIDs()
	t.Logf("load: %d commands acknowledged, %d not (sent to a server as it died)", len(acked), load.failed())
	if len(acked) < 50 {
		t.Fatalf("only %d commands acknowledged", len(acked))
	}
	c.waitCaughtUp(ctx)
	c.stopAll()

	store, err := eventstore.Open(ctx, db.URL, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// nothing acknowledged is lost
	inLog := map[string]bool{}
	var checkpointSizes []int64
	verifiers, err := transparency.ReadVerifierFiles(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	for after := eventstore.Position(0); ; {
		evs, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			ev := &evs[i]
			after = ev.Position
			if ev.Type == "registry.ministry_registered" {
				var d struct {
					MinistryID string `json:"ministryId"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				inLog[d.MinistryID] = true
			}
			if transparency.IsCheckpointEvent(ev) {
				cp, err := transparency.ReadCheckpointEvent(ev, verifiers, "")
				if err != nil {
					t.Fatalf("checkpoint at %d: %v", ev.Position, err)
				}
				checkpointSizes = append(checkpointSizes, cp.Size)
			}
		}
	}
	lost := 0
	for _, id := range acked {
		if !inLog[id] {
			lost++
			t.Errorf("acknowledged %s is not in the log", id)
		}
	}
	// one publisher at a time: the checkpoints only grow
	for i := 1; i < len(checkpointSizes); i++ {
		if checkpointSizes[i] <= checkpointSizes[i-1] {
			t.Errorf("checkpoint %d has size %d after one of %d: two publishers raced", i, checkpointSizes[i], checkpointSizes[i-1])
		}
	}
	if len(checkpointSizes) < 5 {
		t.Errorf("only %d checkpoints published", len(checkpointSizes))
	}
	// verify passes
	if out, errOut, err := runCapture(t, "verify", "--store", db.URL, "--key", pubFile); err != nil {
		t.Fatalf("verify: %v\n%s\n%s", err, out, errOut)
	}
	// every read model equals a fresh fold of the log
	backend, err := pgreadmodels.Open(ctx, pgreadmodels.Config{URL: db.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	for _, p := range projectionList() {
		gens, err := backend.Generations(ctx, p.Name())
		if err != nil {
			t.Fatal(err)
		}
		active, _ := gens.Get(gens.Active)
		projectiontest.SameDocs(t, p.Name(), projectiontest.Dump(t, backend, p.Name(), 0), projectiontest.Rebuilt(t, store, p, active.Position))
	}
	// fencing: no stale write went through; no range committed twice
	duplicates, commits := 0, 0
	for _, p := range projectionList() {
		fw, err := projectiontest.CheckFencedWrites(ctx, backend.Pool(), projections.LeaseJob(p.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range fw.Problems {
			duplicates++
			t.Error(pr)
		}
		commits += fw.Commits
		t.Logf("%s: %d fenced commits under %d tokens", p.Name(), fw.Commits, fw.Tokens)
	}
	slices.Sort(takeovers)
	p50, p99 := takeovers[len(takeovers)/2], takeovers[(len(takeovers)*99+99)/100-1]
	t.Logf("FAILOVER: %d kills; takeover p50 %v, p99 %v (max); %d commands acknowledged, events lost %d; %d fenced commits, duplicate work %d; %d checkpoints, never backwards",
		len(takeovers), p50.Round(time.Millisecond), p99.Round(time.Millisecond), len(acked), lost, commits, duplicates, len(checkpointSizes))
	if p99 > 5*time.Second {
		t.Errorf("takeover p99 %v, want under 5 s", p99)
	}
}

// cluster is the serve processes of TestFailover.
type cluster struct {
	t    *testing.T
	bin  string
	dir  string
	args []string

	mu    sync.Mutex
	n     int
	procs map[string]*serveProc // by server ID
}

type serveProc struct {
	id   string
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

var listening = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// start starts one more server and waits until it listens.
func (c *cluster) start(ctx context.Context) {
	c.t.Helper()
	c.mu.Lock()
	c.n++
	id := fmt.Sprintf("server-%d", c.n)
	c.mu.Unlock()
	logFile, err := os.Create(filepath.Join(c.dir, id+".log"))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, append(slices.Clone(c.args), "--server-id", id)...)
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	p := &serveProc{id: id, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		l, _ := r.ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		p.base = listening.FindString(l)
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	if p.base == "" {
		log, _ := os.ReadFile(filepath.Join(c.dir, id+".log"))
		c.t.Fatalf("%s did not start:\n%s", id, log)
	}
	c.mu.Lock()
	if c.procs == nil {
		c.procs = map[string]*serveProc{}
	}
	c.procs[id] = p
	c.mu.Unlock()
}

// bases lists the live servers' URLs.
func (c *cluster) bases() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.procs {
		out = append(out, p.base)
	}
	slices.Sort(out)
	return out
}

// status asks a live server for the status report.
func (c *cluster) status(ctx context.Context, skip string) (web.StatusReport, error) {
	var rep web.StatusReport
	var err error
	for _, base := range c.bases() {
		if base == skip {
			continue
		}
		if err = getJSON(ctx, base+web.StatusPath, &rep); err == nil {
			return rep, nil
		}
	}
	return rep, fmt.Errorf("no server answered: %w", err)
}

// pickHolder picks a live server that holds at least one lease, at random,
// and the jobs it holds.
func (c *cluster) pickHolder(ctx context.Context) (string, []string) {
	c.t.Helper()
	for range 100 {
		rep, err := c.status(ctx, "")
		if err != nil {
			c.t.Fatal(err)
		}
		held := map[string][]string{}
		for _, l := range rep.Leases {
			if !l.Expired {
				held[l.Holder] = append(held[l.Holder], l.Job)
			}
		}
		c.mu.Lock()
		var ids []string
		for id := range c.procs {
			if len(held[id]) > 0 {
				ids = append(ids, id)
			}
		}
		c.mu.Unlock()
		if len(ids) > 0 {
			slices.Sort(ids)
			id := ids[rand.IntN(len(ids))]
			return id, held[id]
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("no live server holds a lease")
	return "", nil
}

// kill sends SIGKILL to a server and forgets it.
func (c *cluster) kill(id string) {
	c.mu.Lock()
	p := c.procs[id]
	delete(c.procs, id)
	c.mu.Unlock()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// waitTakeover polls a live server's status until every job the victim
// held is held by another server, and returns the time since t0.
func (c *cluster) waitTakeover(ctx context.Context, victim string, jobs []string, t0 time.Time) time.Duration {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		rep, err := c.status(ctx, "")
		if err == nil {
			byJob := map[string]lease.Info{}
			for _, l := range rep.Leases {
				byJob[l.Job] = l
			}
			all := true
			for _, j := range jobs {
				if l := byJob[j]; l.Expired || l.Holder == victim || l.Holder == "" {
					all = false
				}
			}
			if all {
				return time.Since(t0)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("the jobs of %s (%v) were not taken over in 30 s", victim, jobs)
	return 0
}

// waitCaughtUp waits until every live server is ready with every
// projection at the log's head.
func (c *cluster) waitCaughtUp(ctx context.Context) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for _, base := range c.bases() {
			var rd web.Readiness
			if err := getJSON(ctx, base+web.ReadyPath, &rd); err != nil {
				ok = false
				break
			}
			for _, j := range rd.Jobs {
				if j.Lag > 0 || j.Holder == "" {
					ok = false
				}
			}
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("the servers did not catch up in 60 s")
}

// stopAll stops every server gracefully (SIGTERM), once.
func (c *cluster) stopAll() {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	for _, p := range procs {
		_ = p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// loadGen posts registry.register_ministry commands, one ministry each,
// through every live server in turn, and keeps the acknowledged ones.
type loadGen struct {
	c     *cluster
	token string

	mu      sync.Mutex
	acked   []string
	refused int
}

func (l *loadGen) run(ctx context.Context, g int) {
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		bases := l.c.bases()
		if len(bases) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		base := bases[i%len(bases)]
		id := fmt.Sprintf("m-%d-%d", g, i)
		body := fmt.Sprintf(`{"ministryId":%q,"name":"部會 %d-%d"}`, id, g, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/commands/registry.register_ministry", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+l.token)
		resp, err := client.Do(req)
		ok := err == nil && resp.StatusCode == http.StatusCreated
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		l.mu.Lock()
		if ok {
			l.acked = append(l.acked, id)
		} else {
			l.refused++
		}
		l.mu.Unlock()
		time.Sleep(25 * time.Millisecond)
	}
}

func (l *loadGen) ackedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked)
}

func (l *loadGen) failed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}
