package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/transparency"
)

const monitorUsage = `collabledger monitor follows a ledger's published checkpoints:

  collabledger monitor --server URL [--server URL]... --key PUBKEY [--policy POLICY]
      [--checkpoint FILE]... [--state FILE] [--interval 1m | --once]

Each round it fetches every server's C2SP checkpoint (GET /checkpoint, the signed
note with its witnesses' cosignatures) and every --checkpoint file (notes gathered
elsewhere: from a witness, from another auditor), checks the log's signature, asks
the server for a consistency proof from the largest checkpoint seen before, and
keeps what it saw in --state. With --policy it also checks each witness's
cosignature, keeps what each witness cosigned and compares them.

It reports, with the signed notes that prove it: an equivocation (two checkpoints
signed by the log that cannot both be true: the same size with two roots, or one
that does not extend the other), a rollback (a smaller tree than one already
seen), a bad signature, a checkpoint the witness policy does not accept.
Exit status 0: nothing wrong. 1: a finding (the evidence is printed and kept
beside the state file). 2: usage.

Flags:
`

// runMonitor is `collabledger monitor`.
func runMonitor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, monitorUsage); fs.PrintDefaults() }
	var servers, keys, notes listFlag
	fs.Var(&servers, "server", "a ledger server (http://host:port) whose checkpoints to follow; repeatable (mirrors)")
	fs.Var(&keys, "key", "the log's public key file; repeatable")
	fs.Var(&notes, "checkpoint", "a signed checkpoint (with cosignatures) obtained elsewhere, to check too; repeatable")
	policyFile := fs.String("policy", "", "witness policy (C2SP tlog-policy); its log line stands for --key")
	origin := fs.String("origin", "", "the log's origin; default: the name of the (first) key")
	state := fs.String("state", filepath.Join("data", "monitor.json"), "where to keep what was seen between runs")
	interval := fs.Duration("interval", time.Minute, "how often to look, until stopped")
	once := fs.Bool("once", false, "look once and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || len(servers) == 0 && len(notes) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: monitor needs --server URL (or --checkpoint FILE), and takes no arguments", errUsage)
	}
	verifiers, policy, logOrigin, err := logTrust("monitor", keys, *policyFile, *origin)
	if err != nil {
		return err
	}
	m, err := transparency.NewMonitor(transparency.MonitorConfig{Verifiers: verifiers, Origin: logOrigin, Policy: policy, StateFile: *state})
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	clients := make([]transparency.LedgerClient, len(servers))
	for i, s := range servers {
		clients[i] = transparency.LedgerClient{Base: strings.TrimRight(s, "/"), HTTP: hc}
	}
	for {
		findings, err := monitorRound(ctx, m, clients, notes, stdout)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "monitor: %v\n", err)
		}
		if len(findings) > 0 {
			return reportFindings(findings, *state, stderr)
		}
		if *once {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*interval):
		}
	}
}

// monitorRound looks at every server and checkpoint file once.
func monitorRound(ctx context.Context, m *transparency.Monitor, clients []transparency.LedgerClient, notes []string, stdout io.Writer) ([]*transparency.Finding, error) {
	var (
		findings []*transparency.Finding
		errs     []error
	)
	observe := func(source string, msg []byte, prove transparency.ProveConsistencyFunc) {
		fs, err := m.Observe(ctx, source, msg, prove)
		if err != nil {
			errs = append(errs, err)
			return
		}
		findings = append(findings, fs...)
		if l := m.State().Latest; len(fs) == 0 && l != nil {
			fmt.Fprintf(stdout, "%s: checkpoint consistent; largest seen: %d leaves, root %s\n", source, l.Size, l.RootHash)
		}
	}
	for _, c := range clients {
		msg, err := c.Checkpoint(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		observe(c.Base, msg, c.ProveConsistency)
	}
	for _, path := range notes {
		msg, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prove := func(ctx context.Context, from, to int64) (transparency.ConsistencyProof, error) {
			if len(clients) == 0 {
				return transparency.ConsistencyProof{}, errors.New("no --server to ask for a consistency proof")
			}
			return clients[0].ProveConsistency(ctx, from, to)
		}
		observe(path, msg, prove)
	}
	return findings, errors.Join(errs...)
}

// reportFindings prints the findings with their evidence, keeps the
// evidence beside the state file, and returns the first as the error.
func reportFindings(findings []*transparency.Finding, state string, stderr io.Writer) error {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "%s\n", f)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "\n  evidence: %d leaves, root %s, from %s at %s:\n", e.Size, e.RootHash, e.Source, e.Seen.Format(time.RFC3339))
			for l := range strings.Lines(e.Note) {
				b.WriteString("    " + l)
			}
		}
		if f.Proof != nil {
			fmt.Fprintf(&b, "\n  the log's consistency proof from %d (root %s) to %d (root %s): %d hashes, does not check against the signed roots\n",
				f.Proof.From, f.Proof.FromRoot, f.Proof.To, f.Proof.ToRoot, len(f.Proof.Proof))
		}
		b.WriteString("\n")
	}
	fmt.Fprint(stderr, b.String())
	evidence := strings.TrimSuffix(state, filepath.Ext(state)) + "-evidence-" + time.Now().UTC().Format("20060102T150405Z") + ".txt"
	if err := os.WriteFile(evidence, []byte(b.String()), 0o644); err == nil {
		fmt.Fprintf(stderr, "evidence kept in %s\n", evidence)
	}
	return fmt.Errorf("%w: %w", errVerify, findings[0])
}
