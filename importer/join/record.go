// Package join records Join's proposals and signatures in the ledger: the
// dataset of PDIS's Join crawler (proposals.jsonl and signatures/<ID>.csv,
// see ../shared/data/join-archive/README.md) and the same records sent as a
// feed (JSON Lines, POST /api/v1/feeds/join). Every record becomes commands
// that the domain decides, through the command side (app.Ledger), dated
// when the thing happened on Join (the occurred clock):
//
//	proposal      → proposal.submit and proposal.publish at publishedAt, with
//	                Join's goal, close, every lead ministry (or none yet)
//	                and the co-organisers
//	signature row → proposal.sign at its time, by the pseudonym the server
//	                derives from Join's signer reference (the row number,
//	                scoped to the proposal), with its county and district;
//	                the domain records milestones and the establishment
//	responseDueAt → proposal.extend_response_deadline when Join's deadline
//	                is later than the one the rules give (an announced
//	                extension)
//	responses     → each its own event, by the ministry that published it,
//	                at its time: each lead's first answer proposal.respond
//	                (the deadline counts it, one per lead), every other one
//	                (co-organisers' parts, later answers)
//	                proposal.add_response (decisions 0041, 0048)
//	status        → proposal.expire when Join said signing failed
//	                (SecondFailed)
//	rows refused  → proposal.record_late_signatures, once per run of rows
//	after the       (decision 0056): a later import skips them rather than
//	close           having each decided and refused again
//	no signatures → proposal.record_signature_list_missing when the record
//	member          has no signature list and the stream no signature
//	                (decision 0056); a list that arrives later supersedes it
//
// # Idempotency and resuming
//
// Each proposal's stream is read before its commands are planned, and only
// what the stream does not hold yet is sent: a re-import records nothing, a
// record that grew (more signatures, a response) appends only what is new,
// and an import stopped halfway goes on from what was stored (appends are
// atomic per batch).
//
// # Bad records
//
// A record that cannot be read (bad JSON, a missing ID, a signature row
// that does not parse or is out of order) is refused with its file and line
// and nothing of its proposal is recorded; the other proposals go on.
package join

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// ErrBadRecord marks a record that cannot be read; *RecordError carries
// where it is.
var ErrBadRecord = errors.New("bad join record")

// RecordError is a bad record: the file and line it is on, and why.
type RecordError struct {
	File string
	Line int
	Err  error
}

// Error implements error.
func (e *RecordError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap lets errors.Is find ErrBadRecord and the cause.
func (e *RecordError) Unwrap() []error { return []error{ErrBadRecord, e.Err} }

func badRecord(file string, line int, format string, args ...any) *RecordError {
	return &RecordError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// Ministry is one ministry named on a proposal.
type Ministry struct {
	// ID is the government organisation code (315000000H = 交通部).
	ID string `json:"id"`
	// Name is its name.
	Name string `json:"name"`
	// Role is "lead" (must respond) or "co".
	Role string `json:"role"`
}

// Response is one of the ministries' published responses.
type Response struct {
	At       time.Time `json:"at"`
	Ministry string    `json:"ministry"`
	Text     string    `json:"text"`
}

// Cooperation is Join's collaboration window (not proof of a meeting).
type Cooperation struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Proposal is one line of proposals.jsonl: a Join proposal as last seen.
// Every field but ID may be missing (a proposal with signatures and no
// metadata has only its ID).
type Proposal struct {
	ID              string       `json:"id"`
	Title           string       `json:"title,omitempty"`
	Ministries      []Ministry   `json:"ministries,omitempty"`
	PublishedAt     time.Time    `json:"publishedAt,omitzero"`
	SigningClosesAt time.Time    `json:"signingClosesAt,omitzero"`
	Goal            int          `json:"goal,omitempty"`
	PeriodDays      int          `json:"periodDays,omitempty"`
	Status          string       `json:"status,omitempty"`
	Signatures      int          `json:"signatures,omitempty"`
	EndorseCount    int          `json:"endorseCount,omitempty"`
	EstablishedAt   time.Time    `json:"establishedAt,omitzero"`
	ResponseDueAt   time.Time    `json:"responseDueAt,omitzero"`
	Responses       []Response   `json:"responses,omitempty"`
	Cooperation     *Cooperation `json:"cooperation,omitempty"`
	Outline         string       `json:"outline,omitempty"`
	Snapshot        time.Time    `json:"snapshot,omitzero"`

	// noList: the record, as read, has no signatures member: no signature
	// list of the proposal was ever downloaded (an empty list has
	// "signatures": 0).
	noList bool
}

// SignatureListAbsent reports whether the record, as read, says that no
// signature list of the proposal was ever downloaded (it has no signatures
// member; Join's archive has 189 such proposals with metadata). A record
// made in code says nothing.
func (p *Proposal) SignatureListAbsent() bool { return p.noList }

// HasMetadata reports whether the record says what the proposal is (a
// title and a publication), not only that it exists.
func (p *Proposal) HasMetadata() bool { return p.Title != "" && !p.PublishedAt.IsZero() }

// Lead returns the lead ministry, if Join named one (the first of several).
func (p *Proposal) Lead() (Ministry, bool) {
	for _, m := range p.Ministries {
		if m.Role == "lead" {
			return m, true
		}
	}
	return Ministry{}, false
}

// Leads returns every lead ministry Join named, in Join's order (the first
// is Lead's); each owes its own answer (decision 0048).
func (p *Proposal) Leads() []Ministry { return p.withRole("lead") }

// CoOrganisers returns the co-organising ministries Join named.
func (p *Proposal) CoOrganisers() []Ministry { return p.withRole("co") }

func (p *Proposal) withRole(role string) []Ministry {
	var out []Ministry
	for _, m := range p.Ministries {
		if m.Role == role {
			out = append(out, m)
		}
	}
	return out
}

// MinistryNamed returns the ministry of the proposal with that name.
func (p *Proposal) MinistryNamed(name string) (Ministry, bool) {
	for _, m := range p.Ministries {
		if m.Name == name {
			return m, true
		}
	}
	return Ministry{}, false
}

// IsTest reports a platform test proposal, which is not a real proposal.
func (p *Proposal) IsTest() bool { return strings.HasPrefix(p.Title, "(此為測試議題)") }

// Signature is one signature row: Join's row number (the signer's
// reference, scoped to the proposal), when it was made, and where the
// signer lives as Join gives it (either may be empty).
type Signature struct {
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	County   string    `json:"county,omitempty"`
	District string    `json:"district,omitempty"`
	// Line is where the row is, for errors.
	Line int `json:"-"`
}

// validate checks a proposal record.
func (p *Proposal) validate(file string, line int) error {
	if p.ID == "" {
		return badRecord(file, line, "proposal has no id")
	}
	if err := domain.ValidateID("proposal", p.ID); err != nil {
		return badRecord(file, line, "%v", err)
	}
	if p.Title != "" && p.PublishedAt.IsZero() {
		return badRecord(file, line, "proposal %s has a title but no publishedAt", p.ID)
	}
	if p.Goal < 0 {
		return badRecord(file, line, "proposal %s has goal %d", p.ID, p.Goal)
	}
	if !p.SigningClosesAt.IsZero() && !p.PublishedAt.IsZero() && !p.SigningClosesAt.After(p.PublishedAt) {
		return badRecord(file, line, "proposal %s closes at %s, not after its publication %s", p.ID, p.SigningClosesAt.Format(time.RFC3339), p.PublishedAt.Format(time.RFC3339))
	}
	for _, m := range p.Ministries {
		if err := domain.ValidateID("ministry", m.ID); err != nil {
			return badRecord(file, line, "proposal %s: %v", p.ID, err)
		}
		if m.Role != "lead" && m.Role != "co" {
			return badRecord(file, line, "proposal %s: ministry %s has role %q, want lead or co", p.ID, m.ID, m.Role)
		}
	}
	for i, r := range p.Responses {
		if r.At.IsZero() || strings.TrimSpace(r.Ministry) == "" {
			return badRecord(file, line, "proposal %s: response %d has no time or ministry", p.ID, i+1)
		}
	}
	return nil
}

// maxLine bounds one line of proposals.jsonl or of a feed (a proposal with
// its responses).
const maxLine = 8 << 20

// ReadProposals reads proposals.jsonl, calling f with each record and its
// line; a line that does not parse is passed as a *RecordError and the
// reading goes on. An error reading r ends it.
func ReadProposals(r io.Reader, file string, f func(p *Proposal, line int, err error) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		p, err := decodeProposal(b, file, line)
		if err := f(p, line, err); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", file, line+1, err)
	}
	return nil
}

func decodeProposal(b []byte, file string, line int) (*Proposal, error) {
	var p Proposal
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, badRecord(file, line, "not a proposal record: %v", err)
	}
	if dec.More() {
		return nil, badRecord(file, line, "more than one JSON value on the line")
	}
	if err := p.validate(file, line); err != nil {
		return nil, err
	}
	var list struct {
		Signatures json.RawMessage `json:"signatures"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, badRecord(file, line, "not a proposal record: %v", err)
	}
	p.noList = list.Signatures == nil
	return &p, nil
}

// ReadSignatures reads a signature CSV (header n,at,county,district; rows
// numbered from 1 in order). The first bad row refuses the whole file.
func ReadSignatures(r io.Reader, file string) ([]Signature, error) {
	return readSignatures(r, file, 0)
}

// readSignatures is ReadSignatures with room for about rows rows made at
// once (a hint: the file's size over a row's usual length).
func readSignatures(r io.Reader, file string, rows int) ([]Signature, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, badRecord(file, 1, "%v", err)
	}
	if strings.TrimPrefix(head[0], "\ufeff") != "n" || head[1] != "at" || head[2] != "county" || head[3] != "district" {
		return nil, badRecord(file, 1, "header %q, want n,at,county,district", strings.Join(head, ","))
	}
	out := make([]Signature, 0, rows)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, badRecord(file, line, "%v", err)
		}
		s, err := parseRow(rec[0], rec[1], rec[2], rec[3])
		if err != nil {
			return nil, badRecord(file, line, "%v", err)
		}
		if len(out) > 0 && s.N <= out[len(out)-1].N {
			return nil, badRecord(file, line, "row %d after row %d: rows must be numbered in increasing order", s.N, out[len(out)-1].N)
		}
		s.Line = line
		out = append(out, s)
	}
}

// parseRow reads one signature's fields.
func parseRow(n, at, county, district string) (Signature, error) {
	num, err := strconv.Atoi(n)
	if err != nil || num < 1 {
		return Signature{}, fmt.Errorf("row number %q is not a positive integer", n)
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return Signature{}, fmt.Errorf("row %d: time %q is not RFC 3339", num, at)
	}
	return Signature{N: num, At: t, County: county, District: district}, nil
}
