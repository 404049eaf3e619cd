package app

import (
	"context"
	"reflect"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// Item is one command of ExecuteMany: who issues it, the command, and how
// it is recorded.
type Item struct {
	Actor   domain.Actor
	Command domain.Command
	// At, when set, is as WithOccurredAt(At), without an Option per item
	// (a feed's million signatures).
	At      time.Time
	Options []Option
}

// ExecuteMany executes many commands and answers each in order, as Execute
// would. Proposal commands (a feed's signatures) are queued together, so
// those on one proposal are decided in batches against one loaded state
// and stored with one append per batch, in the order given; the others are
// executed alone, after the proposal commands queued before them are
// decided: every command sees those given before it. A refused command
// refuses only itself.
//
// The rules Execute applies before deciding apply here too: an occurred-at
// after now is refused, and a command that needs more than its proposal —
// a PO's (checked against the registry) or one with its own command ID
// (answered once however often it is sent) — goes through Execute.
func (l *Ledger) ExecuteMany(ctx context.Context, items []Item) ([]Result, []error) {
	results, errs := make([]Result, len(items)), make([]error, len(items))
	reqs := make([]Request[*domain.Proposal], 0, len(items))
	at := make([]int, 0, len(items))
	var signs []domain.SignProposal // the signatures' commands, which their requests point into
	c := new(call)
	now := l.cfg.Handler.Now()
	// flush decides the queued proposal commands, so that a command
	// executed alone after them sees what they recorded.
	flush := func() {
		if len(reqs) == 0 {
			return
		}
		start := time.Now()
		if first := at[0]; at[len(at)-1]-first == len(at)-1 {
			// In a row (a feed's signatures): answered in place.
			l.proposals.handleInto(ctx, reqs, results[first:first+len(at)], errs[first:first+len(at)])
		} else {
			res, rerrs := l.proposals.HandleMany(ctx, reqs)
			for k, i := range at {
				results[i], errs[i] = res[k], rerrs[k]
			}
		}
		took := time.Since(start)
		for _, i := range at {
			if l.cfg.Observe != nil {
				// Each command of a batch is answered when the batch is.
				l.cfg.Observe(items[i].Command.CommandName(), errs[i], took)
			}
		}
		reqs, at = reqs[:0], at[:0]
	}
	// alone executes item i through Execute, after what was queued.
	alone := func(i int, it Item) {
		opts := it.Options
		if !it.At.IsZero() {
			opts = append([]Option{WithOccurredAt(it.At)}, opts...)
		}
		flush()
		results[i], errs[i] = l.Execute(ctx, it.Actor, it.Command, opts...)
	}
	var (
		lastID     domain.ProposalID
		lastStream string
		lastNew    func() *domain.Proposal
	)
	for i, it := range items {
		id, ok := proposalTarget(it.Command)
		if ok && it.Actor.Role == domain.RolePO {
			ok = false
		}
		if !ok {
			alone(i, it)
			continue
		}
		cmd, err := admit(it.Actor, it.Command)
		if err != nil {
			errs[i] = err
			continue
		}
		// One call serves every item while its request is built (request
		// copies it; a closure below copies what it needs).
		*c = call{actor: it.Actor, cmd: cmd, at: it.At}
		for _, o := range it.Options {
			o(c)
		}
		if c.commandID != "" {
			alone(i, it)
			continue
		}
		if err := occurredInPast(c.at, now); err != nil {
			errs[i] = err
			continue
		}
		if err := checkTarget(*c, string(id)); err != nil {
			errs[i] = err
			continue
		}
		if id != lastID || lastNew == nil {
			pid := id
			lastID, lastStream, lastNew = id, domain.ProposalStream(id), func() *domain.Proposal { return domain.NewProposal(pid) }
		}
		if sc, ok := c.cmd.(domain.SignProposal); ok {
			// A signature: decided with the batch's other signatures by
			// one SignMany call, without a closure of its own.
			if signs == nil {
				signs = make([]domain.SignProposal, 0, len(items)-i) // never grown: requests point into it
			}
			signs = append(signs, sc)
			req := request(*c, lastStream, lastNew, nil)
			req.Sign = &signs[len(signs)-1]
			reqs = append(reqs, req)
			at = append(at, i)
			continue
		}
		cmd, actor := c.cmd, c.actor
		reqs = append(reqs, request(*c, lastStream, lastNew,
			func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
				return p.Decide(cmd, actor, at, l.cfg.Proposal)
			}))
		at = append(at, i)
	}
	flush()
	return results, errs
}

// proposalTarget returns the proposal a proposal command is decided on.
func proposalTarget(cmd domain.Command) (domain.ProposalID, bool) {
	if v := reflect.ValueOf(cmd); cmd != nil && v.Kind() == reflect.Pointer && !v.IsNil() {
		if elem, ok := v.Elem().Interface().(domain.Command); ok {
			cmd = elem
		}
	}
	switch c := cmd.(type) {
	case domain.SubmitProposal:
		return c.ProposalID, true
	case domain.PublishProposal:
		return c.ProposalID, true
	case domain.SignProposal:
		return c.ProposalID, true
	case domain.InvalidateSignature:
		return c.ProposalID, true
	case domain.ExpireProposal:
		return c.ProposalID, true
	case domain.ExtendResponseDeadline:
		return c.ProposalID, true
	case domain.RespondToProposal:
		return c.ProposalID, true
	case domain.AddProposalResponse:
		return c.ProposalID, true
	case domain.MarkResponseOverdue:
		return c.ProposalID, true
	}
	return "", false
}
