package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/kurrentdb"
	"github.com/pdis/collab-ledger/transparency"
	"github.com/pdis/collab-ledger/web"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// errVerify marks a verification that found the log not as signed.
var errVerify = errors.New("verification failed")

const verifyUsage = `collabledger verify checks the ledger without trusting its operator:

  collabledger verify [--store URL | --export FILE | --server URL --token T] --key PUBKEY [--checkpoint FILE]...
      recompute every content hash, rebuild the tree and check it against every
      signed checkpoint in the log (and each --checkpoint given); with --server, the
      log as a running server streams it (GET /api/v1/export, an auditor's token)
  collabledger verify [--store URL | --export FILE | --server URL] --key PUBKEY --event ID | --position N
      prove one event is in the latest signed checkpoint
  collabledger verify [--store URL | --export FILE | --server URL] --key PUBKEY --consistency OLD NEW
      prove the tree of size OLD is a prefix of the tree of size NEW; OLD and NEW are
      tree sizes or files holding signed checkpoints (with --server: files, or NEW "latest")
  collabledger verify [--store URL | --export FILE | --server URL] --policy POLICY [--key PUBKEY]
      also require a checkpoint cosigned as the witness policy (C2SP tlog-policy) asks;
      with --server, check the checkpoint the server serves at /checkpoint

Exit status 0: verified. 1: not verified; the message names the first bad position and
what is wrong (content changed, event missing, order changed, signature invalid, not witnessed).
2: usage.

Flags:
`

// runVerify is `collabledger verify`.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	storeURL := storeFlag(fs)
	exportFile := fs.String("export", "", "verify this export file (- for standard input) instead of a store: offline, with only the public key")
	server := fs.String("server", "", "with --event, --position or --consistency: ask this server's proof API (http://host:port) and check its answer; with --token alone: verify the whole log as the server exports it (GET /api/v1/export)")
	token := fs.String("token", os.Getenv("COLLABLEDGER_TOKEN"), "an auditor's or PDIS staff token, with --server: verify the server's export (env COLLABLEDGER_TOKEN)")
	var keys, checkpoints listFlag
	fs.Var(&keys, "key", "public key file (`collabledger keygen`'s "+verifierKeyFile+"); repeat for several")
	fs.Var(&checkpoints, "checkpoint", "a signed checkpoint kept outside the log (saved earlier, or from GET /api/v1/checkpoints/latest); repeatable")
	origin := fs.String("origin", "", "the log's origin, as its checkpoints name it; default: the name of the (first) --key")
	policyFile := fs.String("policy", "", "witness policy (C2SP tlog-policy): a checkpoint must carry the cosignatures its quorum asks for; its log line stands for --key")
	sparse := fs.Bool("sparse-positions", false, "positions are not dense (a KurrentDB log): do not report gaps")
	eventID := fs.String("event", "", "prove this event ID is in the latest checkpoint")
	position := fs.Uint64("position", 0, "prove the event at this global position is in the latest checkpoint")
	hash := fs.String("hash", "", "with --server: the content hash of the event as you hold it; the proof must be for it")
	consistency := fs.Bool("consistency", false, "prove consistency between the two tree sizes (or checkpoint files) given as arguments")
	if err := fs.Parse(args); err != nil {
		return err
	}
	verifiers, policy, logOrigin, err := logTrust("verify", keys, *policyFile, *origin)
	if err != nil {
		fs.Usage()
		return err
	}
	if *consistency != (fs.NArg() == 2) || !*consistency && fs.NArg() > 0 {
		return fmt.Errorf("%w: --consistency takes two arguments, OLD and NEW; got %q", errUsage, fs.Args())
	}
	var ref *transparency.LeafRef
	switch {
	case *eventID != "" && *position != 0:
		return fmt.Errorf("%w: give --event or --position, not both", errUsage)
	case *eventID != "":
		id, err := uuid.Parse(*eventID)
		if err == nil && id == uuid.Nil {
			err = errors.New("the nil UUID names no event")
		}
		if err != nil {
			return fmt.Errorf("%w: --event %q: %v", errUsage, *eventID, err)
		}
		ref = &transparency.LeafRef{ID: id}
	case *position != 0:
		ref = &transparency.LeafRef{Position: eventstore.Position(*position)}
	}
	if ref != nil && *consistency {
		return fmt.Errorf("%w: give --event/--position or --consistency, not both", errUsage)
	}
	if u, err := url.Parse(*storeURL); *exportFile == "" && err == nil && slices.Contains(kurrentdb.Schemes, strings.ToLower(u.Scheme)) {
		*sparse = true // KurrentDB's commit positions are not dense
	}
	cfg := transparency.VerifyConfig{Verifiers: verifiers, Origin: logOrigin, SparsePositions: *sparse, Policy: policy}
	for _, p := range checkpoints {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		cfg.Checkpoints = append(cfg.Checkpoints, b)
	}
	v := &verification{ctx: ctx, stdout: stdout, stderr: stderr, cfg: cfg}

	if *server != "" && ref == nil && !*consistency && *token != "" {
		v.server, v.token = *server, *token
		_, err := v.run("", "")
		return err
	}
	if *server != "" {
		c := &proofClient{base: strings.TrimRight(*server, "/"), http: &http.Client{Timeout: 30 * time.Second}}
		if ref == nil && !*consistency {
			if policy == nil {
				return fmt.Errorf("%w: --server checks single proofs (give --event, --position or --consistency), with --policy the served checkpoint's cosignatures, or with --token the whole exported log", errUsage)
			}
			return v.remoteWitnessed(c, policy)
		}
		if ref != nil {
			return v.remoteInclusion(c, *ref, *hash)
		}
		return v.remoteConsistency(c, fs.Arg(0), fs.Arg(1))
	}
	if *hash != "" {
		return fmt.Errorf("%w: --hash goes with --server", errUsage)
	}
	report, err := v.run(*storeURL, *exportFile)
	if err != nil {
		return err
	}
	switch {
	case ref != nil:
		return v.inclusion(report, *ref)
	case *consistency:
		return v.consistency(report, fs.Arg(0), fs.Arg(1))
	}
	return nil
}

// verification carries one run's settings and output.
type verification struct {
	ctx            context.Context
	stdout, stderr io.Writer
	cfg            transparency.VerifyConfig
	// server and token: verify the log a running server exports.
	server, token string
}

// run verifies the whole log from a store or an export and reports.
func (v *verification) run(storeURL, exportFile string) (*transparency.Report, error) {
	var (
		report *transparency.Report
		err    error
		source string
	)
	switch {
	case v.server != "":
		source = "export of " + v.server
		resp, rerr := openRemote(v.ctx, v.server, v.token, web.ExportPath, nil)
		if rerr != nil {
			return nil, fmt.Errorf("verify: %w", rerr)
		}
		defer resp.Body.Close()
		report, err = transparency.VerifyExport(v.ctx, bufio.NewReaderSize(resp.Body, 1<<20), v.cfg)
	case exportFile != "":
		source = "export " + exportFile
		var r io.Reader = os.Stdin
		if exportFile != "-" {
			f, ferr := os.Open(exportFile)
			if ferr != nil {
				return nil, fmt.Errorf("verify: %w", ferr)
			}
			defer f.Close()
			r = f
		}
		report, err = transparency.VerifyExport(v.ctx, bufio.NewReaderSize(r, 1<<20), v.cfg)
	default:
		source = "store " + eventstore.Redact(storeURL)
		store, serr := openStore(v.ctx, storeURL)
		if serr != nil {
			return nil, serr
		}
		defer store.Close()
		report, err = transparency.VerifyStore(v.ctx, store, v.cfg)
	}
	if err != nil {
		return nil, err
	}
	if report.Err() != nil {
		fmt.Fprintf(v.stderr, "verify %s: %d events read; NOT VERIFIED:\n", source, report.Events)
		for _, p := range report.Problems {
			fmt.Fprintf(v.stderr, "  %v\n", p)
		}
		if report.MoreProblems > 0 {
			fmt.Fprintf(v.stderr, "  ... and %d more\n", report.MoreProblems)
		}
		if report.Explained > 0 {
			fmt.Fprintf(v.stderr, "  (%d checkpoints do not match because of the above)\n", report.Explained)
		}
		return nil, fmt.Errorf("%w: %w", errVerify, report.Err())
	}
	if exportFile != "" && exportFile != "-" {
		if err := v.checkSecrets(exportFile); err != nil {
			return nil, err
		}
	}
	if report.Latest.Note == nil {
		return nil, fmt.Errorf("%w: %s: %d events hash correctly, but there is no signed checkpoint to check the tree against (%w)",
			errVerify, source, report.Events, transparency.ErrNoCheckpoint)
	}
	l := report.Latest
	where := "given"
	if l.Position > 0 {
		where = fmt.Sprintf("at position %d", l.Position)
	}
	fmt.Fprintf(v.stdout, "verified %s: %d events (last position %d), every content hash recomputed; %d signed checkpoints match the tree\n",
		source, report.Events, report.LastPosition, len(report.Checkpoints))
	fmt.Fprintf(v.stdout, "latest checkpoint: %d leaves, root %s (%s)\n", l.Size, l.Root, where)
	if n := report.Uncovered(); n > 0 {
		fmt.Fprintf(v.stdout, "%d events after it are not yet covered by a signature\n", n)
	}
	if v.cfg.Policy != nil {
		w := report.Witnessed
		fmt.Fprintf(v.stdout, "witnessed: the checkpoint of %d leaves meets the witness policy (quorum %s), cosigned by %s\n",
			w.Size, v.cfg.Policy.Quorum, cosigners(report.Cosignatures))
		if w.Size < l.Size {
			fmt.Fprintf(v.stdout, "the %d leaves after it are signed by the log but not yet witnessed\n", l.Size-w.Size)
		}
	}
	fmt.Fprintf(v.stdout, "took %v (%.0f events/s)\n", report.Elapsed().Round(time.Millisecond), float64(report.Events)/max(report.Elapsed().Seconds(), 1e-9))
	return report, nil
}

// inclusion proves one event against the latest verified checkpoint.
func (v *verification) inclusion(report *transparency.Report, ref transparency.LeafRef) error {
	p, err := report.ProveInclusion(ref, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", errVerify, err)
	}
	if err := p.Verify(); err != nil {
		return fmt.Errorf("%w: %w", errVerify, err)
	}
	fmt.Fprintf(v.stdout, "event %s (position %d) is leaf %d of the signed checkpoint of %d leaves: inclusion proof checked\n",
		p.EventID, p.Position, p.LeafIndex, p.TreeSize)
	return writeJSON(v.stdout, p)
}

// rootOf resolves a consistency argument: a tree size or a checkpoint file.
func (v *verification) rootOf(report *transparency.Report, arg string) (int64, eventstore.Hash, string, error) {
	if n, err := strconv.ParseInt(arg, 10, 64); err == nil {
		if n < 1 || n > report.Leaves {
			return 0, eventstore.Hash{}, "", fmt.Errorf("%w: tree size %d: the log has %d leaves", errUsage, n, report.Leaves)
		}
		root, err := report.Root(n)
		if err != nil {
			return 0, eventstore.Hash{}, "", err
		}
		how := "recomputed, no checkpoint of that size"
		for _, c := range report.Checkpoints {
			if c.Size == n {
				how = "signed"
				if c.Position > 0 {
					how = fmt.Sprintf("signed, checkpoint at position %d", c.Position)
				}
			}
		}
		return n, eventstore.Hash(root), how, nil
	}
	cp, err := v.openCheckpointFile(arg)
	if err != nil {
		return 0, eventstore.Hash{}, "", err
	}
	if cp.Size > report.Leaves {
		return 0, eventstore.Hash{}, "", fmt.Errorf("%w: %w: the checkpoint in %s covers %d leaves, the log holds %d", errVerify, transparency.ErrEventMissing, arg, cp.Size, report.Leaves)
	}
	root, err := report.Root(cp.Size)
	if err != nil {
		return 0, eventstore.Hash{}, "", err
	}
	if root != cp.Root {
		return 0, eventstore.Hash{}, "", fmt.Errorf("%w: %w: the checkpoint in %s signs root %s for %d leaves, the log gives %s", errVerify, transparency.ErrContentChanged, arg, cp.Root, cp.Size, root)
	}
	return cp.Size, eventstore.Hash(root), "signed, " + arg, nil
}

func (v *verification) openCheckpointFile(path string) (transparency.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return transparency.Checkpoint{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	cp, err := transparency.OpenCheckpoint(b, v.cfg.Verifiers, v.cfg.Origin)
	if err != nil {
		return transparency.Checkpoint{}, fmt.Errorf("%w: checkpoint %s: %w", errVerify, path, err)
	}
	return cp, nil
}

// consistency proves OLD is a prefix of NEW over the recomputed tree.
func (v *verification) consistency(report *transparency.Report, oldArg, newArg string) error {
	from, fromRoot, fromHow, err := v.rootOf(report, oldArg)
	if err != nil {
		return err
	}
	to, toRoot, toHow, err := v.rootOf(report, newArg)
	if err != nil {
		return err
	}
	p, err := report.ProveConsistency(from, to)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if p.FromRoot != fromRoot || p.ToRoot != toRoot {
		return fmt.Errorf("%w: roots differ from the checkpoints", errVerify)
	}
	if err := p.Verify(); err != nil {
		return fmt.Errorf("%w: %w", errVerify, err)
	}
	fmt.Fprintf(v.stdout, "the tree of %d leaves (%s) is a prefix of the tree of %d leaves (%s): consistency proof checked\n", from, fromHow, to, toHow)
	return writeJSON(v.stdout, p)
}

// proofClient asks a server's proof API.
type proofClient struct {
	base string
	http *http.Client
}

// get fetches path into v; an API error comes back with its code.
func (c *proofClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("%w: --server: %v", errUsage, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", cliLanguage())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ask %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("ask %s%s: %w", c.base, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("%s%s: %s: %s (%s)", c.base, path, resp.Status, e.Error.Message, e.Error.Code)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s%s: %w", c.base, path, err)
	}
	return nil
}

// getText fetches path as text (a signed note).
func (c *proofClient) getText(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: --server: %v", errUsage, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("ask %s%s: %w", c.base, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s%s: %s: %.200s", c.base, path, resp.Status, body)
	}
	return body, nil
}

// remoteInclusion checks a server's inclusion proof against its signed
// checkpoint, with the trusted keys only.
func (v *verification) remoteInclusion(c *proofClient, ref transparency.LeafRef, hash string) error {
	q := url.Values{}
	if ref.ID != uuid.Nil {
		q.Set("event", ref.ID.String())
	} else {
		q.Set("position", strconv.FormatUint(uint64(ref.Position), 10))
	}
	var p transparency.InclusionProof
	if err := c.get(v.ctx, "/api/v1/proofs/inclusion?"+q.Encode(), &p); err != nil {
		return err
	}
	cp, err := transparency.OpenCheckpoint([]byte(p.Checkpoint), v.cfg.Verifiers, v.cfg.Origin)
	if err != nil {
		return fmt.Errorf("%w: the server's checkpoint: %w", errVerify, err)
	}
	if cp.Size != p.TreeSize || eventstore.Hash(cp.Root) != p.RootHash {
		return fmt.Errorf("%w: %w: the proof is for %d leaves, root %s; the signed checkpoint says %d leaves, root %s",
			errVerify, transparency.ErrSignatureInvalid, p.TreeSize, p.RootHash, cp.Size, cp.Root)
	}
	if ref.ID != uuid.Nil && p.EventID != ref.ID || ref.ID == uuid.Nil && p.Position != ref.Position {
		return fmt.Errorf("%w: the server answered for event %s at position %d, not %s", errVerify, p.EventID, p.Position, ref)
	}
	if hash != "" {
		h, err := eventstore.ParseHash(hash)
		if err != nil {
			return fmt.Errorf("%w: --hash: %v", errUsage, err)
		}
		if transparency.LeafHash(h) != p.LeafHash {
			return fmt.Errorf("%w: %w: event %s: the log's leaf is not the content hash %s you hold", errVerify, transparency.ErrContentChanged, p.EventID, h)
		}
	}
	if err := p.Verify(); err != nil {
		return fmt.Errorf("%w: %w", errVerify, err)
	}
	fmt.Fprintf(v.stdout, "event %s (position %d) is leaf %d of the checkpoint of %d leaves signed by %s: inclusion proof checked\n",
		p.EventID, p.Position, p.LeafIndex, p.TreeSize, signers(cp.Note, v.cfg.Verifiers))
	if hash == "" {
		fmt.Fprintln(v.stdout, "(give --hash with the event's content hash to check the leaf is the event you hold)")
	}
	return writeJSON(v.stdout, p)
}

// remoteConsistency checks a server's consistency proof between two signed
// checkpoints: files, or "latest" for the server's latest (NEW only).
func (v *verification) remoteConsistency(c *proofClient, oldArg, newArg string) error {
	old, err := v.openCheckpointFile(oldArg)
	if err != nil {
		return err
	}
	q := url.Values{"from": {strconv.FormatInt(old.Size, 10)}}
	var newCP transparency.Checkpoint
	if newArg != "latest" {
		if newCP, err = v.openCheckpointFile(newArg); err != nil {
			return err
		}
		q.Set("to", strconv.FormatInt(newCP.Size, 10))
	}
	var p transparency.ConsistencyProof
	if err := c.get(v.ctx, "/api/v1/proofs/consistency?"+q.Encode(), &p); err != nil {
		return err
	}
	if newArg == "latest" {
		if newCP, err = transparency.OpenCheckpoint([]byte(p.Checkpoint), v.cfg.Verifiers, v.cfg.Origin); err != nil {
			return fmt.Errorf("%w: the server's latest checkpoint: %w", errVerify, err)
		}
	}
	if p.From != old.Size || p.To != newCP.Size || p.FromRoot != eventstore.Hash(old.Root) || p.ToRoot != eventstore.Hash(newCP.Root) {
		return fmt.Errorf("%w: the proof's sizes or roots are not those of the signed checkpoints", errVerify)
	}
	if err := p.Verify(); err != nil {
		return fmt.Errorf("%w: %w: %w", errVerify, transparency.ErrContentChanged, err)
	}
	fmt.Fprintf(v.stdout, "the signed checkpoint of %d leaves is a prefix of the signed checkpoint of %d leaves: consistency proof checked\n", old.Size, newCP.Size)
	return writeJSON(v.stdout, p)
}

// logTrust reads what a command trusts the log by: the --key files and the
// --policy file's log keys (the trusted keys), the policy, and the log's
// origin (origin, else the first key's name). Failures are usage errors.
func logTrust(cmd string, keyFiles []string, policyFile, origin string) (note.Verifiers, *transparency.Policy, string, error) {
	var (
		policy *transparency.Policy
		keys   []string
	)
	for _, p := range keyFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w: read public key: %v", errUsage, err)
		}
		keys = append(keys, strings.TrimSpace(string(b)))
	}
	if policyFile != "" {
		var err error
		if policy, err = transparency.ReadPolicyFile(policyFile); err != nil {
			return nil, nil, "", fmt.Errorf("%w: %v", errUsage, err)
		}
		for _, l := range policy.Logs {
			keys = append(keys, l.Key)
		}
	}
	if len(keys) == 0 {
		return nil, nil, "", fmt.Errorf("%w: %s needs --key PUBKEY (or --policy with a log line)", errUsage, cmd)
	}
	v, err := transparency.NewVerifiers(keys...)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if origin == "" {
		origin = transparency.KeyName(keys[0])
	}
	return v, policy, origin, nil
}

// cosigners names the witnesses of cosignatures.
func cosigners(cs []transparency.Cosignature) string {
	if len(cs) == 0 {
		return "no witness (quorum none)"
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = fmt.Sprintf("%s at %s", c.Witness, c.Time.Format(time.RFC3339))
	}
	return strings.Join(names, ", ")
}

// remoteWitnessed checks the checkpoint a server serves at its C2SP
// checkpoint endpoint against the trusted keys and the witness policy.
func (v *verification) remoteWitnessed(c *proofClient, policy *transparency.Policy) error {
	msg, err := c.getText(v.ctx, "/checkpoint")
	if err != nil {
		return err
	}
	cp, err := transparency.OpenCheckpoint(msg, v.cfg.Verifiers, v.cfg.Origin)
	if err != nil {
		return fmt.Errorf("%w: the server's checkpoint: %w", errVerify, err)
	}
	valid, err := policy.Witnessed(cp, transparency.SignatureLines(msg))
	if err != nil {
		return fmt.Errorf("%w: the server's checkpoint: %w", errVerify, err)
	}
	fmt.Fprintf(v.stdout, "the server's checkpoint of %d leaves (root %s) is signed by %s and meets the witness policy (quorum %s), cosigned by %s\n",
		cp.Size, cp.Root, signers(msg, v.cfg.Verifiers), policy.Quorum, cosigners(valid))
	return nil
}

// signers names the trusted keys that signed a note.
func signers(msg []byte, verifiers note.Verifiers) string {
	n, err := note.Open(msg, verifiers)
	if err != nil || len(n.Sigs) == 0 {
		return "?"
	}
	names := make([]string, len(n.Sigs))
	for i, s := range n.Sigs {
		names[i] = fmt.Sprintf("%s+%08x", s.Name, s.Hash)
	}
	return strings.Join(names, ", ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkSecrets checks the values and salts an auditor export carries
// against the commitments in its events (the content hashes, and so the
// commitments, were checked already). A public export has none to check.
func (v *verification) checkSecrets(exportFile string) error {
	f, err := os.Open(exportFile)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	rep, err := export.CheckSecrets(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(v.stderr, "verify export %s: NOT VERIFIED: %d sealed fields do not open their commitments:\n", exportFile, len(rep.Problems))
		for i, p := range rep.Problems {
			if i == 20 {
				fmt.Fprintf(v.stderr, "  ... and %d more\n", len(rep.Problems)-i)
				break
			}
			fmt.Fprintf(v.stderr, "  %v\n", p)
		}
		return fmt.Errorf("%w: %w", errVerify, rep.Problems[0])
	}
	if rep.Sealed > 0 {
		fmt.Fprintf(v.stdout, "sealed fields: %d events hold commitments; %d values open them (auditor export), %d have no value here (erased, or a public export)\n",
			rep.Sealed, rep.Opened, rep.Erased)
	}
	return nil
}
