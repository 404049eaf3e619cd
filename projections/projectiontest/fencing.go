package projectiontest

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// FencedWrites is what the audit of fenced writes (lease.PostgresConfig
// Audit: cl_lease_writes) shows of one job.
type FencedWrites struct {
	// Writes and Commits count the audited writes and, of them, the
	// commits of projection batches.
	Writes, Commits int
	// Tokens is how many fencing tokens wrote: how many times the job
	// changed hands while writing.
	Tokens int
	// Problems lists every write under an older token after a newer one's
	// (a stale write that went through), every commit that did not start
	// where its generation's last one ended (a range applied twice, or
	// skipped), and every generation that did not start at 0.
	Problems []string
}

var commitNote = regexp.MustCompile(`^commit (\S+)@(\d+) (\d+)\.\.(\d+)$`)

// CheckFencedWrites reads the audited writes of job (a lease job) in
// commit order and checks them (FencedWrites.Problems).
func CheckFencedWrites(ctx context.Context, conn interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, job string) (FencedWrites, error) {
	var fw FencedWrites
	rows, err := conn.Query(ctx, `SELECT token, what FROM cl_lease_writes WHERE job = $1 ORDER BY seq`, job)
	if err != nil {
		return fw, fmt.Errorf("read the audit of %s: %w", job, err)
	}
	defer rows.Close()
	var maxToken int64
	ends := map[string]string{}
	for rows.Next() {
		var token int64
		var what string
		if err := rows.Scan(&token, &what); err != nil {
			return fw, fmt.Errorf("read the audit of %s: %w", job, err)
		}
		fw.Writes++
		if token < maxToken {
			fw.Problems = append(fw.Problems, fmt.Sprintf("%s: a write under token %d after one under %d: %s", job, token, maxToken, what))
		}
		if token > maxToken {
			fw.Tokens++
			maxToken = token
		}
		m := commitNote.FindStringSubmatch(what)
		if m == nil {
			continue
		}
		fw.Commits++
		gen := m[2]
		if last, ok := ends[gen]; ok && last != m[3] {
			fw.Problems = append(fw.Problems, fmt.Sprintf("%s generation %s: commit %s..%s after one that ended at %s", job, gen, m[3], m[4], last))
		} else if !ok && m[3] != "0" {
			fw.Problems = append(fw.Problems, fmt.Sprintf("%s generation %s: first commit starts at %s", job, gen, m[3]))
		}
		ends[gen] = m[4]
	}
	return fw, rows.Err()
}
