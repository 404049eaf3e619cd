package transparency

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Errors of the witness client.
var (
	// ErrWitnessRefused: a witness refused to cosign a checkpoint: it is
	// not consistent with what the witness cosigned before (HTTP 422 or a
	// 409 naming a larger tree than the checkpoint's), or the witness does
	// not know the log or its key (403), or the request was malformed
	// (400).
	ErrWitnessRefused = errors.New("witness refused the checkpoint")
	// ErrWitnessUnavailable: the witness could not be reached or answered
	// with a server error; try again later.
	ErrWitnessUnavailable = errors.New("witness unavailable")
)

// Witness is a witness the log offers its checkpoints to, or whose
// cosignatures a policy counts: its name in the policy, its verifier key and
// (for the log's client) its C2SP tlog-witness URL.
type Witness struct {
	// Name is the witness's name in the policy (not necessarily its key's
	// name).
	Name string
	// Verifier checks its cosignatures; its Name() is the key's name, as
	// in the signature lines.
	Verifier *CosignatureVerifier
	// URL is the witness's base URL: add-checkpoint is POSTed to
	// URL + "/add-checkpoint". Empty: offline (counted, never asked).
	URL string
}

// ProveFunc returns the consistency proof (RFC 6962) from the tree of from
// leaves to the tree of to leaves, as a witness wants it.
type ProveFunc func(ctx context.Context, from, to int64) (tlog.TreeProof, error)

// WitnessClient offers checkpoints to one witness over C2SP tlog-witness
// (POST /add-checkpoint). It remembers the tree size the witness last
// cosigned, so that each request carries the consistency proof from it. Safe
// for concurrent use (one request at a time).
type WitnessClient struct {
	w    Witness
	http *http.Client

	mu    sync.Mutex
	known int64 // the witness's latest size for this log, as far as we know; -1 unknown
}

// NewWitnessClient returns a client for w (which needs a URL). A nil
// client means one with a 15-second timeout.
func NewWitnessClient(w Witness, hc *http.Client) (*WitnessClient, error) {
	if w.URL == "" || w.Verifier == nil {
		return nil, fmt.Errorf("witness %q: a witness to ask needs a URL and a key", w.Name)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return &WitnessClient{w: w, http: hc, known: -1}, nil
}

// Witness returns the witness the client asks.
func (c *WitnessClient) Witness() Witness { return c.w }

// maxConflicts bounds how often AddCheckpoint retries after a 409.
const maxConflicts = 3

// AddCheckpoint offers cp (signed by the log) to the witness with the
// consistency proof from the size the witness last cosigned, and returns
// the witness's verified cosignature. A 409 (the witness knows another
// size) is retried with a proof from that size; a size larger than cp's
// means the witness has seen a larger tree of this log than we are showing
// it: ErrWitnessRefused, with the size.
func (c *WitnessClient) AddCheckpoint(ctx context.Context, cp Checkpoint, prove ProveFunc) (Cosignature, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := max(c.known, 0)
	for range maxConflicts + 1 {
		if old > cp.Size {
			return Cosignature{}, fmt.Errorf("witness %s: %w: it has cosigned a tree of %d leaves of this log, the checkpoint covers %d (a rollback, or another history)",
				c.w.Name, ErrWitnessRefused, old, cp.Size)
		}
		var proof tlog.TreeProof
		if old > 0 && old < cp.Size {
			var err error
			if proof, err = prove(ctx, old, cp.Size); err != nil {
				return Cosignature{}, fmt.Errorf("witness %s: consistency proof from %d to %d: %w", c.w.Name, old, cp.Size, err)
			}
		}
		status, body, err := c.post(ctx, AddCheckpointRequest(old, proof, cp.Note))
		if err != nil {
			return Cosignature{}, err
		}
		switch {
		case status == http.StatusOK:
			cs, err := OpenCosignature(cp, c.w.Verifier, firstLine(body, c.w.Verifier.Name()))
			if err != nil {
				return Cosignature{}, fmt.Errorf("witness %s answered: %w", c.w.Name, err)
			}
			c.known = cp.Size
			return cs, nil
		case status == http.StatusConflict:
			n, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
			if err != nil || n < 0 {
				return Cosignature{}, fmt.Errorf("witness %s: %w: 409 without a tree size: %.100q", c.w.Name, ErrWitnessUnavailable, body)
			}
			c.known, old = n, n
		case status >= 500:
			return Cosignature{}, fmt.Errorf("witness %s: %w: %d %.200s", c.w.Name, ErrWitnessUnavailable, status, bytes.TrimSpace(body))
		default:
			what := map[int]string{
				http.StatusUnprocessableEntity: "the checkpoint is not consistent with the tree it cosigned before",
				http.StatusForbidden:           "it does not know this log's origin or key",
				http.StatusBadRequest:          "malformed request",
				http.StatusNotFound:            "no add-checkpoint endpoint at that URL",
			}[status]
			return Cosignature{}, fmt.Errorf("witness %s: %w: %d (%s) %.200s; it last cosigned %d leaves, we offered %d",
				c.w.Name, ErrWitnessRefused, status, what, bytes.TrimSpace(body), old, cp.Size)
		}
	}
	return Cosignature{}, fmt.Errorf("witness %s: %w: its tree size kept changing", c.w.Name, ErrWitnessUnavailable)
}

// AddCheckpointRequest is the body of a C2SP tlog-witness add-checkpoint
// request: "old <size>", one base64 consistency-proof hash per line, a
// blank line, then the signed checkpoint.
func AddCheckpointRequest(old int64, proof tlog.TreeProof, note []byte) []byte {
	var b bytes.Buffer
	b.WriteString("old " + strconv.FormatInt(old, 10) + "\n")
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(note)
	return b.Bytes()
}

func (c *WitnessClient) post(ctx context.Context, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.w.URL, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w", c.w.Name, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w: %v", c.w.Name, ErrWitnessUnavailable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w: %v", c.w.Name, ErrWitnessUnavailable, err)
	}
	return resp.StatusCode, b, nil
}

// firstLine returns the first signature line of body by the key named
// name (a witness may answer with several, one per key).
func firstLine(body []byte, name string) string {
	for l := range strings.Lines(string(body)) {
		if strings.HasPrefix(l, "— "+name+" ") {
			return l
		}
	}
	return string(body)
}
