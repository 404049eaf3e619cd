package join

import (
	"io"

	"github.com/pdis/collab-ledger/importer"
)

// Candidates reads proposals.jsonl into the candidates the process import
// links cases to (decision 0028): every proposal with a title and a
// publication, not a platform test. A line that does not read is passed
// to warn and skipped.
func Candidates(r io.Reader, file string, warn func(error)) ([]importer.Candidate, error) {
	var out []importer.Candidate
	err := ReadProposals(r, file, func(p *Proposal, _ int, err error) error {
		if err != nil {
			warn(err)
			return nil
		}
		if !p.HasMetadata() || p.IsTest() {
			return nil
		}
		c := importer.Candidate{ID: p.ID, Title: p.Title, PublishedAt: p.PublishedAt,
			Established: !p.EstablishedAt.IsZero() || p.Status == "Completed" || p.Status == "Advice", EstablishedAt: p.EstablishedAt}
		if lead, ok := p.Lead(); ok {
			c.Ministry = lead.ID
		}
		out = append(out, c)
		return nil
	})
	return out, err
}
