package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
)

// backends opens, for each store kind, two independent stores on the same
// storage where the kind allows it (two "processes"), else the same one
// twice.
var backends = map[string]func(t testing.TB) (eventstore.Store, eventstore.Store){
	"bbolt": func(t testing.TB) (eventstore.Store, eventstore.Store) {
		s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, s
	},
	"postgres": func(t testing.TB) (eventstore.Store, eventstore.Store) {
		db := pgtest.New(t)
		open := func() eventstore.Store {
			s, err := postgres.Open(context.Background(), db.URL, postgres.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return open(), open()
	},
}

var (
	secret   = []byte("test-server-secret")
	staff    = domain.Actor{ID: "staff-1", Role: domain.RolePDIS}
	proposer = domain.Actor{ID: "citizen-0", Role: domain.RoleProposer}
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

func citizen(n int) domain.Actor {
	return domain.Actor{ID: string(domain.Pseudonym(secret, fmt.Sprintf("A%09d", n))), Role: domain.RoleCitizen}
}

type proposals struct {
	h  *app.Handler[*domain.Proposal]
	id domain.ProposalID
}

func (p proposals) do(ctx context.Context, actor domain.Actor, decide func(*domain.Proposal, time.Time) ([]domain.Event, error)) (app.Result, error) {
	return p.h.Handle(ctx, app.Request[*domain.Proposal]{
		Stream: domain.ProposalStream(p.id),
		New:    func() *domain.Proposal { return domain.NewProposal(p.id) },
		Actor:  actor,
		Decide: decide,
	})
}

func (p proposals) sign(ctx context.Context, actor domain.Actor) (app.Result, error) {
	return p.do(ctx, actor, func(agg *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return agg.Sign(domain.SignProposal{ProposalID: p.id, Signer: domain.SignerID(actor.ID)}, actor, at)
	})
}

// publish submits and publishes a proposal with the given threshold.
func publish(t testing.TB, h *app.Handler[*domain.Proposal], id domain.ProposalID, threshold int) proposals {
	t.Helper()
	p := proposals{h: h, id: id}
	ctx := context.Background()
	if _, err := p.do(ctx, proposer, func(agg *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return agg.Submit(domain.SubmitProposal{ProposalID: id, Title: "開放資料 " + string(id)}, proposer, at)
	}); err != nil {
		t.Fatal(err)
	}
	cfg := domain.DefaultProposalConfig()
	cfg.Threshold = threshold
	cfg.Milestones = []int{threshold / 5, threshold * 3 / 5}
	if _, err := p.do(ctx, staff, func(agg *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return agg.Publish(domain.PublishProposal{ProposalID: id, CompetentMinistry: "MOJ"}, staff, at, cfg)
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	clockMu sync.Mutex
	clock   = t0
)

// tick is the handlers' shared clock: a millisecond later at every reading.
func tick() time.Time {
	clockMu.Lock()
	defer clockMu.Unlock()
	clock = clock.Add(time.Millisecond)
	return clock
}

func handler(s eventstore.Store) *app.Handler[*domain.Proposal] {
	return app.NewHandler[*domain.Proposal](s, app.Config{Now: tick})
}

func TestCommandSide(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s1, _ := open(t)
			ctx := context.Background()
			p := publish(t, handler(s1), "p1", 10)

			res, err := p.sign(ctx, citizen(1))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Events) != 1 || res.Events[0].Type != "proposal.signed" || res.Version != 3 {
				t.Fatalf("sign stored %d events at version %d", len(res.Events), res.Version)
			}
			md := res.Events[0].Metadata
			if md.ActorID != citizen(1).ID || md.ActorRole != "citizen" || md.CommandID == "" || !md.OccurredAt.IsZero() {
				t.Fatalf("metadata %+v", md)
			}

			// "A signer signs a proposal once."
			_, err = p.sign(ctx, citizen(1))
			if !errors.Is(err, domain.ErrConflictingState) || domain.RuleOf(err) != "proposal.sign.once_per_signer" {
				t.Fatalf("second signature: %v", err)
			}
			// "A ministry cannot sign": refused, nothing appended.
			head, _ := s1.Head(ctx)
			_, err = p.do(ctx, domain.Actor{ID: "moj", Role: domain.RoleMinistry, Ministry: "MOJ"}, func(agg *domain.Proposal, at time.Time) ([]domain.Event, error) {
				return agg.Sign(domain.SignProposal{ProposalID: "p1", Signer: domain.SignerID(citizen(2).ID)}, domain.Actor{ID: "moj", Role: domain.RoleMinistry, Ministry: "MOJ"}, at)
			})
			if !errors.Is(err, domain.ErrForbidden) {
				t.Fatalf("ministry signing: %v", err)
			}
			if h, _ := s1.Head(ctx); h != head {
				t.Fatalf("a refused command appended events: head %d → %d", head, h)
			}
			// An imported act keeps when it happened.
			when := time.Date(2019, 1, 25, 2, 0, 0, 0, time.UTC)
			res, err = p.h.Handle(ctx, app.Request[*domain.Proposal]{
				Stream: domain.ProposalStream("p2"), New: func() *domain.Proposal { return domain.NewProposal("p2") },
				Actor: proposer, At: when,
				Decide: func(agg *domain.Proposal, at time.Time) ([]domain.Event, error) {
					return agg.Submit(domain.SubmitProposal{ProposalID: "p2", Title: "舊案"}, proposer, at)
				},
			})
			if err != nil || !res.Events[0].Metadata.OccurredAt.Equal(when) {
				t.Fatalf("imported act: %v %+v", err, res)
			}
		})
	}
}

// TestHotProposalRace: many signers, each submitting twice at once, through
// two handlers (two processes on PostgreSQL) racing past the threshold.
// Exactly one established event; every signer counted once; every
// acknowledged signature stored.
func TestHotProposalRace(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s1, s2 := open(t)
			ctx := context.Background()
			h1, h2 := handler(s1), handler(s2)
			const threshold, signers = 150, 300
			publish(t, h1, "hot", threshold)
			ps := []proposals{{h: h1, id: "hot"}, {h: h2, id: "hot"}}

			var mu sync.Mutex
			acked := map[string]bool{}
			refused := 0
			var wg sync.WaitGroup
			sem := make(chan struct{}, 64)
			for i := range signers {
				for k := range 2 {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						res, err := ps[(i+k)%2].sign(ctx, citizen(i))
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err == nil:
							for _, e := range res.Events {
								acked[e.ID.String()] = true
							}
						case domain.RuleOf(err) == "proposal.sign.once_per_signer":
							refused++
						default:
							t.Errorf("sign: %v", err)
						}
					}()
				}
			}
			wg.Wait()
			stored, err := s1.ReadStream(ctx, domain.ProposalStream("hot"), 1, 10*signers)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			p := domain.NewProposal("hot")
			for _, e := range stored {
				counts[e.Type]++
				delete(acked, e.ID.String())
				de, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Apply(de); err != nil {
					t.Fatal(err)
				}
			}
			if counts["proposal.established"] != 1 || counts["proposal.signed"] != signers || refused != signers {
				t.Fatalf("established %d, signed %d, refused %d; want 1, %d, %d", counts["proposal.established"], counts["proposal.signed"], refused, signers, signers)
			}
			if counts["proposal.milestone_reached"] != 2 {
				t.Fatalf("milestones recorded %d times, want 2", counts["proposal.milestone_reached"])
			}
			if len(acked) != 0 {
				t.Fatalf("%d acknowledged events are not in the stream", len(acked))
			}
			if p.ValidSignatures() != signers {
				t.Fatalf("tally %d, want %d", p.ValidSignatures(), signers)
			}
			b1, c1 := h1.Stats()
			b2, c2 := h2.Stats()
			t.Logf("%s: %d + %d batches for %d signatures, %d + %d conflicts retried", name, b1, b2, 2*signers, c1, c2)
		})
	}
}
