package transparency

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// What a monitor reports.
var (
	// ErrEquivocation: two checkpoints signed by the log's key that cannot
	// both be true: the same tree size with two roots, or a checkpoint that
	// does not extend one seen before (no valid consistency proof). The
	// log showed different histories to different people (or to the same
	// person at different times); the two signed notes are the evidence.
	ErrEquivocation = errors.New("equivocation")
	// ErrRollback: the log serves a checkpoint of a smaller tree than one
	// it served before.
	ErrRollback = errors.New("rollback")
)

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	// Verifiers are the log's trusted keys. Required.
	Verifiers note.Verifiers
	// Origin is the log's origin. Required.
	Origin string
	// Policy, if set, names the witnesses whose cosignatures the monitor
	// checks, keeps per witness and compares; a checkpoint that does not
	// meet its quorum is reported (ErrNotWitnessed), not adopted.
	Policy *Policy
	// StateFile keeps what the monitor has seen between runs (JSON).
	// Empty: nothing is kept.
	StateFile string
}

// SeenCheckpoint is a checkpoint the monitor saw: where, when, and its
// signed note (the evidence, should another contradict it).
type SeenCheckpoint struct {
	Size     int64     `json:"size"`
	RootHash string    `json:"rootHash"`
	Note     string    `json:"note"`
	Source   string    `json:"source"`
	Seen     time.Time `json:"seen"`
}

// MonitorState is what a monitor keeps: the largest checkpoint it saw (every
// later one must extend it), and for each witness the largest checkpoint it
// saw that witness cosign.
type MonitorState struct {
	Origin    string                    `json:"origin"`
	Latest    *SeenCheckpoint           `json:"latest,omitempty"`
	Witnesses map[string]SeenCheckpoint `json:"witnesses,omitempty"`
}

// Finding is one thing a monitor found wrong, with the evidence: the signed
// notes that contradict each other and, when one was asked for, the
// consistency proof the log gave.
type Finding struct {
	// Kind is ErrEquivocation, ErrRollback, ErrSignatureInvalid or
	// ErrNotWitnessed.
	Kind error
	// Detail says what was seen.
	Detail string
	// Evidence are the signed notes involved, earliest seen first.
	Evidence []SeenCheckpoint
	// Proof is the consistency proof that failed, if any.
	Proof *ConsistencyProof
}

// Error describes the finding.
func (f *Finding) Error() string { return f.Kind.Error() + ": " + f.Detail }

// Unwrap returns the finding's kind.
func (f *Finding) Unwrap() error { return f.Kind }

// ProveConsistencyFunc asks the log for a consistency proof between two of
// its tree sizes.
type ProveConsistencyFunc func(ctx context.Context, from, to int64) (ConsistencyProof, error)

// Monitor follows a log's checkpoints: it keeps the largest it has seen,
// checks that every new one extends it (a consistency proof from the log),
// keeps what each witness cosigned, and reports equivocation and rollback
// with the signed notes that prove them.
type Monitor struct {
	cfg   MonitorConfig
	state MonitorState
}

// NewMonitor returns a monitor, with the state kept in cfg.StateFile.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if cfg.Verifiers == nil || cfg.Origin == "" {
		return nil, errors.New("monitor: the log's key and origin are required")
	}
	m := &Monitor{cfg: cfg, state: MonitorState{Origin: cfg.Origin, Witnesses: map[string]SeenCheckpoint{}}}
	if cfg.StateFile == "" {
		return m, nil
	}
	b, err := os.ReadFile(cfg.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("monitor state: %w", err)
	}
	if err := json.Unmarshal(b, &m.state); err != nil {
		return nil, fmt.Errorf("monitor state %s: %w", cfg.StateFile, err)
	}
	if m.state.Origin != cfg.Origin {
		return nil, fmt.Errorf("monitor state %s is of log %q, not %q", cfg.StateFile, m.state.Origin, cfg.Origin)
	}
	if m.state.Witnesses == nil {
		m.state.Witnesses = map[string]SeenCheckpoint{}
	}
	return m, nil
}

// State returns what the monitor has seen.
func (m *Monitor) State() MonitorState { return m.state }

// Observe checks one signed checkpoint note (with any cosignature lines)
// seen at source, asking prove for the consistency proofs it needs, and
// keeps it if it is good. The findings say what is wrong; the error is for
// the monitor's own failures (the proof could not be fetched, the state
// not written).
func (m *Monitor) Observe(ctx context.Context, source string, msg []byte, prove ProveConsistencyFunc) ([]*Finding, error) {
	now := time.Now().UTC()
	cp, err := OpenCheckpoint(msg, m.cfg.Verifiers, m.cfg.Origin)
	if err != nil {
		return []*Finding{{Kind: ErrSignatureInvalid, Detail: fmt.Sprintf("the checkpoint from %s: %v", source, err),
			Evidence: []SeenCheckpoint{{Note: string(msg), Source: source, Seen: now}}}}, nil
	}
	seen := SeenCheckpoint{Size: cp.Size, RootHash: hex.EncodeToString(cp.Root[:]), Note: string(msg), Source: source, Seen: now}
	var findings []*Finding
	if f, err := m.checkAgainstLatest(ctx, cp, seen, prove); err != nil {
		return nil, err
	} else if f != nil {
		findings = append(findings, f)
	}
	if m.cfg.Policy != nil {
		valid, err := m.cfg.Policy.Witnessed(cp, SignatureLines(msg))
		if err != nil {
			findings = append(findings, &Finding{Kind: ErrNotWitnessed, Detail: fmt.Sprintf("the checkpoint from %s: %s", source,
				strings.TrimPrefix(err.Error(), ErrNotWitnessed.Error()+": ")), Evidence: []SeenCheckpoint{seen}})
		}
		findings = append(findings, m.compareWitnesses(valid, seen)...)
	}
	if !slices.ContainsFunc(findings, func(f *Finding) bool { return errors.Is(f, ErrEquivocation) || errors.Is(f, ErrSignatureInvalid) }) &&
		(m.state.Latest == nil || cp.Size > m.state.Latest.Size) {
		m.state.Latest = &seen
	}
	return findings, m.save()
}

// checkAgainstLatest checks cp against the largest checkpoint seen before.
func (m *Monitor) checkAgainstLatest(ctx context.Context, cp Checkpoint, seen SeenCheckpoint, prove ProveConsistencyFunc) (*Finding, error) {
	last := m.state.Latest
	if last == nil {
		return nil, nil
	}
	evidence := []SeenCheckpoint{*last, seen}
	switch {
	case cp.Size == last.Size && seen.RootHash == last.RootHash:
		return nil, nil
	case cp.Size == last.Size:
		return &Finding{Kind: ErrEquivocation, Evidence: evidence,
			Detail: fmt.Sprintf("two checkpoints of %d leaves signed by the log with different roots: %s (from %s) and %s (from %s)",
				cp.Size, last.RootHash, last.Source, seen.RootHash, seen.Source)}, nil
	}
	from, to := last, &seen
	if cp.Size < last.Size {
		from, to = &seen, last
	}
	p, err := prove(ctx, from.Size, to.Size)
	if err != nil {
		return nil, fmt.Errorf("monitor: consistency proof from %d to %d from %s: %w", from.Size, to.Size, seen.Source, err)
	}
	consistent := p.From == from.Size && p.To == to.Size && p.FromRoot.String() == from.RootHash && p.ToRoot.String() == to.RootHash && p.Verify() == nil
	if !consistent {
		return &Finding{Kind: ErrEquivocation, Evidence: evidence, Proof: &p,
			Detail: fmt.Sprintf("the checkpoint of %d leaves (from %s) is not a prefix of the checkpoint of %d leaves (from %s): both signed by the log, no valid consistency proof (another history)",
				from.Size, from.Source, to.Size, to.Source)}, nil
	}
	if cp.Size < last.Size {
		return &Finding{Kind: ErrRollback, Evidence: evidence, Proof: &p,
			Detail: fmt.Sprintf("%s serves a checkpoint of %d leaves after one of %d leaves was seen (from %s)", seen.Source, cp.Size, last.Size, last.Source)}, nil
	}
	return nil, nil
}

// compareWitnesses keeps, per witness, the largest checkpoint it was seen
// to cosign, and reports a witness (or two witnesses) cosigning two trees
// of the same size with different roots.
func (m *Monitor) compareWitnesses(valid []Cosignature, seen SeenCheckpoint) []*Finding {
	var out []*Finding
	for _, c := range valid {
		prev, ok := m.state.Witnesses[c.Witness]
		if ok && prev.Size == c.Size && prev.RootHash != seen.RootHash {
			out = append(out, &Finding{Kind: ErrEquivocation, Evidence: []SeenCheckpoint{prev, seen},
				Detail: fmt.Sprintf("witness %s cosigned two checkpoints of %d leaves with different roots", c.Witness, c.Size)})
		}
		if !ok || c.Size > prev.Size {
			m.state.Witnesses[c.Witness] = seen
		}
	}
	names := make([]string, 0, len(m.state.Witnesses))
	for n := range m.state.Witnesses {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, a := range names {
		for _, b := range names[i+1:] {
			wa, wb := m.state.Witnesses[a], m.state.Witnesses[b]
			if wa.Size == wb.Size && wa.RootHash != wb.RootHash {
				out = append(out, &Finding{Kind: ErrEquivocation, Evidence: []SeenCheckpoint{wa, wb},
					Detail: fmt.Sprintf("witnesses %s and %s cosigned different trees of %d leaves (a split view)", a, b, wa.Size)})
			}
		}
	}
	return out
}

func (m *Monitor) save() error {
	if m.cfg.StateFile == "" {
		return nil
	}
	b, err := json.MarshalIndent(m.state, "", "  ")
	if err != nil {
		return fmt.Errorf("monitor state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(m.cfg.StateFile), 0o755); err != nil {
		return fmt.Errorf("monitor state: %w", err)
	}
	tmp := m.cfg.StateFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("monitor state: %w", err)
	}
	if err := os.Rename(tmp, m.cfg.StateFile); err != nil {
		return fmt.Errorf("monitor state: %w", err)
	}
	return nil
}

// LedgerClient reads a ledger server's published checkpoint and proofs over
// HTTP, for a monitor.
type LedgerClient struct {
	// Base is the server's base URL.
	Base string
	// HTTP is the client to use (default: 30-second timeout).
	HTTP *http.Client
}

func (c LedgerClient) get(ctx context.Context, path string) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.Base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s%s: %s: %.200s", c.Base, path, resp.Status, b)
	}
	return b, nil
}

// Checkpoint fetches the server's C2SP checkpoint (GET /checkpoint): the
// signed note with its cosignatures.
func (c LedgerClient) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, "/checkpoint")
}

// ProveConsistency fetches a consistency proof
// (GET /api/v1/proofs/consistency?from=&to=).
func (c LedgerClient) ProveConsistency(ctx context.Context, from, to int64) (ConsistencyProof, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "to": {strconv.FormatInt(to, 10)}}
	b, err := c.get(ctx, "/api/v1/proofs/consistency?"+q.Encode())
	if err != nil {
		return ConsistencyProof{}, err
	}
	var p ConsistencyProof
	if err := json.Unmarshal(b, &p); err != nil {
		return ConsistencyProof{}, fmt.Errorf("consistency proof from %s: %w", c.Base, err)
	}
	return p, nil
}
