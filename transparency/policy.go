package transparency

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// ErrNotWitnessed: no checkpoint carries the cosignatures the witness
// policy asks for. A *Problem of this kind names what is missing.
var ErrNotWitnessed = errors.New("not witnessed")

// Policy is a witness policy in the C2SP tlog-policy format:
//
//	log <vkey> [<url>]                     the log's key (and where it is served)
//	witness <name> <vkey> [<url>]          a witness: its key, and its tlog-witness URL
//	group <name> <k|any|all> <member>...   k of the members (witnesses or earlier groups)
//	quorum <name|none>                     the witness or group that must cosign
//
// Blank lines and lines starting with # are ignored. A checkpoint meets the
// policy when it is signed by a log key and the quorum is satisfied by
// valid cosignatures of it.
type Policy struct {
	// Logs are the log's verifier keys (and URLs).
	Logs []PolicyLog
	// Witnesses are the witnesses, in the order given.
	Witnesses []Witness
	// Quorum is the quorum's name ("none": no cosignature needed).
	Quorum string

	groups map[string]*policyGroup
}

// PolicyLog is a log line of a policy.
type PolicyLog struct {
	Key string
	URL string
}

// policyGroup is a witness (a group of one) or a group.
type policyGroup struct {
	name      string
	threshold int
	members   []*policyGroup
	witness   *Witness
}

// ParsePolicy parses a C2SP tlog-policy text.
func ParsePolicy(text string) (*Policy, error) {
	p := &Policy{groups: map[string]*policyGroup{}}
	quorumSet := false
	n := 0
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		bad := func(format string, a ...any) error {
			return fmt.Errorf("policy line %d (%s): %s", n, f[0], fmt.Sprintf(format, a...))
		}
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				return nil, bad("want log <vkey> [<url>]")
			}
			if _, err := note.NewVerifier(f[1]); err != nil {
				return nil, bad("log key: %v", err)
			}
			l := PolicyLog{Key: f[1]}
			if len(f) == 3 {
				l.URL = f[2]
			}
			p.Logs = append(p.Logs, l)
		case "witness":
			if len(f) < 3 || len(f) > 4 {
				return nil, bad("want witness <name> <vkey> [<url>]")
			}
			if err := p.newName(f[1]); err != nil {
				return nil, bad("%v", err)
			}
			v, err := NewCosignatureVerifier(f[2])
			if err != nil {
				return nil, bad("%v", err)
			}
			w := Witness{Name: f[1], Verifier: v}
			if len(f) == 4 {
				w.URL = f[3]
			}
			p.Witnesses = append(p.Witnesses, w)
			p.groups[f[1]] = &policyGroup{name: f[1], threshold: 1, witness: &p.Witnesses[len(p.Witnesses)-1]}
		case "group":
			if len(f) < 4 {
				return nil, bad("want group <name> <k|any|all> <member>...")
			}
			if err := p.newName(f[1]); err != nil {
				return nil, bad("%v", err)
			}
			g := &policyGroup{name: f[1]}
			for _, m := range f[3:] {
				mg, ok := p.groups[m]
				if !ok {
					return nil, bad("member %q is not a witness or group defined above", m)
				}
				if slices.Contains(g.members, mg) {
					return nil, bad("member %q given twice", m)
				}
				g.members = append(g.members, mg)
			}
			switch f[2] {
			case "any":
				g.threshold = 1
			case "all":
				g.threshold = len(g.members)
			default:
				k, err := strconv.Atoi(f[2])
				if err != nil || k < 1 || k > len(g.members) {
					return nil, bad("threshold %q: want any, all or 1 to %d", f[2], len(g.members))
				}
				g.threshold = k
			}
			p.groups[f[1]] = g
		case "quorum":
			if len(f) != 2 {
				return nil, bad("want quorum <name|none>")
			}
			if quorumSet {
				return nil, bad("a second quorum")
			}
			if _, ok := p.groups[f[1]]; !ok && f[1] != "none" {
				return nil, bad("%q is not a witness or group defined above", f[1])
			}
			p.Quorum, quorumSet = f[1], true
		default:
			return nil, fmt.Errorf("policy line %d: unknown keyword %q (want log, witness, group or quorum)", n, f[0])
		}
	}
	if len(p.Logs) == 0 {
		return nil, errors.New("policy: no log line (the log's key)")
	}
	if !quorumSet {
		return nil, errors.New("policy: no quorum line")
	}
	// Witnesses reference p.Witnesses by address: re-point them now that
	// the slice no longer grows.
	for i := range p.Witnesses {
		p.groups[p.Witnesses[i].Name].witness = &p.Witnesses[i]
	}
	return p, nil
}

func (p *Policy) newName(name string) error {
	if name == "none" {
		return errors.New(`"none" is reserved`)
	}
	if _, dup := p.groups[name]; dup {
		return fmt.Errorf("name %q defined twice", name)
	}
	return nil
}

// ReadPolicyFile reads and parses a policy file.
func ReadPolicyFile(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("witness policy: %w", err)
	}
	p, err := ParsePolicy(string(b))
	if err != nil {
		return nil, fmt.Errorf("witness policy %s: %w", path, err)
	}
	return p, nil
}

// LogVerifiers returns the log's keys, as trusted keys for its checkpoints.
func (p *Policy) LogVerifiers() (note.Verifiers, error) {
	keys := make([]string, len(p.Logs))
	for i, l := range p.Logs {
		keys[i] = l.Key
	}
	return NewVerifiers(keys...)
}

// Witnessed checks which cosignatures of cp (signature lines: a note's, or
// kept cosignatures') are valid cosignatures by the policy's witnesses, and
// whether they satisfy the quorum. It returns the valid ones and, when the
// quorum is not met, an error wrapping ErrNotWitnessed that names, for the
// quorum, which witnesses cosigned and which are missing and why.
func (p *Policy) Witnessed(cp Checkpoint, lines []string) ([]Cosignature, error) {
	var (
		valid []Cosignature
		why   = map[string]string{}
		ok    = map[string]bool{}
	)
	for _, w := range p.Witnesses {
		why[w.Name] = "no cosignature"
		prefix := "— " + w.Verifier.Name() + " "
		for _, l := range lines {
			if !strings.HasPrefix(l, prefix) {
				continue
			}
			c, err := OpenCosignature(cp, w.Verifier, l)
			if err != nil {
				why[w.Name] = "a cosignature under its name that does not verify with its key"
				continue
			}
			valid, ok[w.Name] = append(valid, c), true
			break
		}
	}
	if p.Quorum == "none" {
		return valid, nil
	}
	q := p.groups[p.Quorum]
	if q.met(ok) {
		return valid, nil
	}
	return valid, fmt.Errorf("%w: checkpoint of %d leaves: %s", ErrNotWitnessed, cp.Size, q.explain(ok, why))
}

func (g *policyGroup) met(ok map[string]bool) bool {
	if g.witness != nil {
		return ok[g.witness.Name]
	}
	n := 0
	for _, m := range g.members {
		if m.met(ok) {
			n++
		}
	}
	return n >= g.threshold
}

// explain says why g is not met: who cosigned and who is missing.
func (g *policyGroup) explain(ok map[string]bool, why map[string]string) string {
	if g.witness != nil {
		return fmt.Sprintf("witness %s: %s", g.name, why[g.name])
	}
	var have, missing []string
	for _, m := range g.members {
		if m.met(ok) {
			have = append(have, m.name)
		} else {
			missing = append(missing, m.explain(ok, why))
		}
	}
	s := fmt.Sprintf("group %s needs %d of %d, has %d", g.name, g.threshold, len(g.members), len(have))
	if len(have) > 0 {
		s += " (" + strings.Join(have, ", ") + ")"
	}
	return s + "; missing: " + strings.Join(missing, "; ")
}
