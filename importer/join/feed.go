package join

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// FeedRecord is one proposal of a feed with the signature rows that came
// with it.
type FeedRecord struct {
	Proposal   *Proposal
	Signatures []Signature
	// Line is the proposal's line in the feed.
	Line int
}

// feedSignature is a signature line of a feed: a row of the dataset's
// signatures/<ID>.csv with the proposal it belongs to.
type feedSignature struct {
	Proposal string    `json:"proposal"`
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	County   string    `json:"county"`
	District string    `json:"district"`
}

// DecodeFeed reads a feed: JSON Lines, each a proposal in the shape of a
// proposals.jsonl line, or a signature row in the shape
//
//	{"proposal": ID, "n": 1, "at": "2018-06-07T07:06:02+08:00", "county": "臺北市", "district": "大安區"}
//
// following its proposal's line (a proposal's rows in increasing n). The
// whole feed is read before anything is recorded: the first bad line
// refuses it with its line number (a *RecordError named name).
func DecodeFeed(r io.Reader, name string) ([]FeedRecord, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var out []FeedRecord
	index := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var probe struct {
			Proposal *string `json:"proposal"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, badRecord(name, line, "not a JSON object: %v", err)
		}
		if probe.Proposal == nil {
			p, err := decodeProposal(b, name, line)
			if err != nil {
				return nil, err
			}
			if _, dup := index[p.ID]; dup {
				return nil, badRecord(name, line, "proposal %s appears twice", p.ID)
			}
			index[p.ID] = len(out)
			out = append(out, FeedRecord{Proposal: p, Line: line})
			continue
		}
		var fs feedSignature
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fs); err != nil {
			return nil, badRecord(name, line, "not a signature row: %v", err)
		}
		i, ok := index[fs.Proposal]
		if !ok {
			return nil, badRecord(name, line, "signature of proposal %q before that proposal's line", fs.Proposal)
		}
		if fs.N < 1 || fs.At.IsZero() {
			return nil, badRecord(name, line, "a signature row needs n ≥ 1 and at")
		}
		rec := &out[i]
		if k := len(rec.Signatures); k > 0 && fs.N <= rec.Signatures[k-1].N {
			return nil, badRecord(name, line, "row %d after row %d: rows must be numbered in increasing order", fs.N, rec.Signatures[k-1].N)
		}
		rec.Signatures = append(rec.Signatures, Signature{N: fs.N, At: fs.At, County: fs.County, District: fs.District, Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, badRecord(name, line+1, "%v", err)
	}
	if len(out) == 0 {
		return nil, badRecord(name, line, "the feed has no proposal")
	}
	return out, nil
}

// Source names a feed record for errors and outcomes.
func (r FeedRecord) Source(name string) string { return fmt.Sprintf("%s:%d", name, r.Line) }
