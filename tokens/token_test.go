package tokens_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/tokens"
)

var (
	now    = time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Taipei)
	staff  = domain.Actor{ID: "staff-1", Role: domain.RolePDIS}
	poMOJ  = domain.Actor{ID: "po-moj", Role: domain.RolePO, Ministry: "moj"}
	secret = []byte("tokens test secret, never used in production")
)

func openStore(t *testing.T) eventstore.Store {
	t.Helper()
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func registry(t *testing.T, years ...int) *domain.Registry {
	t.Helper()
	r := domain.NewRegistry()
	evs := []domain.Event{
		domain.MinistryRegistered{MinistryID: "moj", Name: "法務部"},
		domain.PORegistered{POID: "po-moj", Name: "PO", Ministry: "moj", Role: domain.POUnit, Year: years[0]},
	}
	for _, y := range years[1:] {
		evs = append(evs, domain.PORenewed{POID: "po-moj", Ministry: "moj", Year: y})
	}
	if err := domain.ApplyAll(r, evs...); err != nil {
		t.Fatal(err)
	}
	return r
}

// ledgerWithPO returns a Ledger over store, on cfg's clock, whose registry
// holds po-moj, a PO of moj for 2026.
func ledgerWithPO(t *testing.T, store eventstore.Store, cfg tokens.Config) *app.Ledger {
	t.Helper()
	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: cfg.Secret, Handler: app.Config{Now: cfg.Now, Logger: cfg.Logger}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	for _, cmd := range []domain.Command{
		domain.RegisterMinistry{MinistryID: "moj", Name: "法務部"},
		domain.RegisterPO{POID: "po-moj", Name: "PO", Ministry: "moj", Role: domain.POUnit, Year: 2026},
	} {
		if _, err := ledger.Execute(context.Background(), staff, cmd); err != nil {
			t.Fatal(err)
		}
	}
	return ledger
}

// TestIssueDecisions: only staff issue; a grant is validated; a PO's token
// needs the registry and ends with the registration's last year.
func TestIssueDecisions(t *testing.T) {
	set := tokens.NewSet()
	h := tokens.HashOf("clt_x")
	g, err := tokens.NewGrant(poMOJ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Issue(h, g, poMOJ, now, registry(t, 2026)); domain.RuleOf(err) != tokens.RuleStaffOnly || !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a PO issues: %v", err)
	}
	for name, c := range map[string]struct {
		reg  *domain.Registry
		at   time.Time
		rule string
	}{
		"unregistered":          {domain.NewRegistry(), now, domain.RulePOUnregistered},
		"not for this year":     {registry(t, 2025), now, domain.RulePONotRegisteredForYear},
		"registered for a year": {registry(t, 2026), now, ""},
	} {
		evs, err := set.Issue(h, g, staff, c.at, c.reg)
		if domain.RuleOf(err) != c.rule || (err != nil && !errors.Is(err, domain.ErrRuleViolated)) {
			t.Errorf("%s: %v, want %q", name, err, c.rule)
		}
		if c.rule == "" {
			want := time.Date(2027, 1, 1, 0, 0, 0, 0, calendar.Taipei)
			if got := evs[0].(tokens.Issued).ExpiresAt; !got.Equal(want) {
				t.Errorf("a PO's token expires at %s, want the end of 2026 in Taipei", got)
			}
		}
	}
	// Renewed for the next year: the token lasts to its end; a shorter
	// lifetime is kept.
	evs, err := set.Issue(h, g, staff, now, registry(t, 2026, 2027))
	if err != nil || !evs[0].(tokens.Issued).ExpiresAt.Equal(time.Date(2028, 1, 1, 0, 0, 0, 0, calendar.Taipei)) {
		t.Fatalf("renewed PO: %v %v", evs, err)
	}
	short, _ := tokens.NewGrant(poMOJ, time.Hour)
	if evs, err := set.Issue(h, short, staff, now, registry(t, 2026)); err != nil || !evs[0].(tokens.Issued).ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("short PO token: %v %v", evs, err)
	}
	// Grants.
	for _, a := range []domain.Actor{
		{ID: "x", Role: "king"},
		{ID: "po-1", Role: domain.RolePO},
		{ID: "A123456789", Role: domain.RoleCitizen},
	} {
		if _, err := tokens.NewGrant(a, 0); err == nil {
			t.Errorf("grant for %+v accepted", a)
		}
	}
}

// TestRevokeDecisions: by a unique prefix of the hash, once.
func TestRevokeDecisions(t *testing.T) {
	set := tokens.NewSet()
	g, _ := tokens.NewGrant(staff, 0)
	var hashes []tokens.Hash
	for i := range 40 {
		h := tokens.HashOf("clt_" + strings.Repeat("x", i))
		hashes = append(hashes, h)
		if _, err := domain.DecideAndApply(set, func(s *tokens.Set) ([]domain.Event, error) { return s.Issue(h, g, staff, now, nil) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tokens.ParseHashPrefix("abc"); !errors.Is(err, tokens.ErrHashPrefix) {
		t.Fatalf("short prefix: %v", err)
	}
	full, _ := tokens.ParseHashPrefix(hashes[3].String())
	if _, err := set.Revoke(full, "", poMOJ, now); domain.RuleOf(err) != tokens.RuleStaffOnly {
		t.Fatalf("a PO revokes: %v", err)
	}
	missing, _ := tokens.ParseHashPrefix(strings.Repeat("0", 64))
	if _, err := set.Revoke(missing, "", staff, now); domain.RuleOf(err) != tokens.RuleNotFound {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := domain.DecideAndApply(set, func(s *tokens.Set) ([]domain.Event, error) { return s.Revoke(full, "rotated", staff, now) }); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Revoke(full, "", staff, now); domain.RuleOf(err) != tokens.RuleAlreadyRevoked || !errors.Is(err, domain.ErrConflictingState) {
		t.Fatalf("twice: %v", err)
	}
	rec, err := set.Lookup(full)
	if err != nil || rec.Status(now) != tokens.StatusRevoked || rec.Revoked.Reason != "rotated" {
		t.Fatalf("revoked record: %+v %v", rec, err)
	}
}

// TestCodecReadsVersion1: token.issued as the web package stored it before
// (with a note and a hex hash) is read, the note dropped; unknown fields
// of the current version are refused.
func TestCodecReadsVersion1(t *testing.T) {
	h := tokens.HashOf("clt_old")
	v1 := `{"hash":"` + h.String() + `","actorId":"staff-1","role":"pdis","issuedAt":"2026-01-02T03:04:05Z","note":"laptop"}`
	e, err := tokens.Codec{}.Decode(tokens.EventIssued, 1, []byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if iss := e.(tokens.Issued); iss.Hash != h || iss.ActorID != "staff-1" || iss.Role != domain.RolePDIS {
		t.Fatalf("v1: %+v", iss)
	}
	if _, err := (tokens.Codec{}).Decode(tokens.EventIssued, 2, []byte(v1)); err == nil {
		t.Fatal("v2 with a note accepted")
	}
	typ, ver, data, err := tokens.Codec{}.Encode(e.(tokens.Issued))
	if err != nil || typ != tokens.EventIssued || ver != 2 || strings.Contains(string(data), "note") {
		t.Fatalf("encode: %s %d %s %v", typ, ver, data, err)
	}
}

// TestServiceFollowsTheLog: issues through the command side with an exact
// expected version (concurrent issues all land, none lost), a second
// service authenticates them once it follows the log, and a PO's
// retirement revokes their tokens at once, live and when a server starts
// after it.
func TestServiceFollowsTheLog(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := openStore(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	cfg := tokens.Config{Secret: secret, Logger: quiet, Now: func() time.Time { return *clock.Load() }}
	ledger := ledgerWithPO(t, store, cfg)
	a, b := tokens.NewService(store, cfg), tokens.NewService(store, cfg)
	go b.Run(ctx)

	// Two services issue at once on one stream: every token is recorded.
	const n = 8
	errs := make(chan error, 2*n)
	toks := make(chan string, 2*n)
	for i := range 2 * n {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		go func() {
			tok, err := svc.Issue(ctx, staff, tokens.Request{Role: domain.RoleAuditor, ActorID: "aud"})
			errs <- err
			toks <- tok.Token
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	list, err := a.List(ctx)
	if err != nil || len(list) != 2*n {
		t.Fatalf("%d tokens listed, want %d: %v", len(list), 2*n, err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 * n {
		if _, err := b.Authenticate(ctx, <-toks); err != nil {
			t.Fatal(err)
		}
	}

	// A citizen's token stands for the pseudonym of the identity given.
	cit, err := a.Issue(ctx, staff, tokens.Request{Role: domain.RoleCitizen, Identity: "A123456789"})
	if err != nil || cit.Record.ActorID != string(domain.Pseudonym(secret, "A123456789")) {
		t.Fatalf("citizen: %+v %v", cit.Record, err)
	}
	if _, err := tokens.NewService(store, tokens.Config{}).Issue(ctx, staff, tokens.Request{Role: domain.RoleCitizen, Identity: "A1"}); !errors.Is(err, tokens.ErrNoSecret) {
		t.Fatalf("no secret: %v", err)
	}

	// Retiring a PO revokes their tokens at once.
	po, err := a.Issue(ctx, staff, tokens.Request{Role: domain.RolePO, Ministry: "moj", ActorID: "po-moj"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, po.Token); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	clock.Store(&later)
	if _, err := ledger.Execute(ctx, staff, domain.RetirePO{POID: "po-moj", Reason: "moved"}); err != nil {
		t.Fatal(err)
	}
	waitRevoked := func(svc *tokens.Service) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if err := svc.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Authenticate(ctx, po.Token); errors.Is(err, tokens.ErrUnauthenticated) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the retired PO's token still authenticates")
			}
		}
	}
	waitRevoked(b)
	evs, err := store.ReadStream(ctx, tokens.Stream, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != tokens.EventRevoked || last.Metadata.CausationID == "" || last.Metadata.ActorID != staff.ID {
		t.Fatalf("revocation event %+v", last)
	}
	// Carried out once, however many servers follow the log.
	c := tokens.NewService(store, cfg)
	go c.Run(ctx)
	waitRevoked(c)
	after, _ := store.ReadStream(ctx, tokens.Stream, 1, 1000)
	if len(after) != len(evs) {
		t.Fatalf("a second server revoked again: %d events, then %d", len(evs), len(after))
	}
}

// TestRetirementWhileNoServerRan: a PO retired while no server followed
// the log (an import, the CLI) has their tokens revoked when one starts.
func TestRetirementWhileNoServerRan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := openStore(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := func() time.Time { return now }
	cfg := tokens.Config{Logger: quiet, Now: clock}
	ledger := ledgerWithPO(t, store, cfg)
	po, err := tokens.NewService(store, cfg).Issue(ctx, staff, tokens.Request{Role: domain.RolePO, Ministry: "moj", ActorID: "po-moj"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Execute(ctx, staff, domain.RetirePO{POID: "po-moj", Reason: "moved"}); err != nil {
		t.Fatal(err)
	}
	svc := tokens.NewService(store, cfg)
	go svc.Run(ctx)
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, po.Token); !errors.Is(err, tokens.ErrUnauthenticated) {
		t.Fatalf("a retired PO's token authenticates: %v", err)
	}
}

// TestConcurrentRevokesRecordOne: two servers revoking one token at once
// record one revocation; the other is refused (decided on the stream's
// exact version, not appended blindly).
func TestConcurrentRevokesRecordOne(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	cfg := tokens.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a, b := tokens.NewService(store, cfg), tokens.NewService(store, cfg)
	for round := range 5 {
		tok, err := a.Issue(ctx, staff, tokens.Request{Role: domain.RoleAuditor, ActorID: "aud"})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, svc := range []*tokens.Service{a, b} {
			go func() {
				_, err := svc.Revoke(ctx, staff, tok.Record.Hash.String(), "round")
				errs <- err
			}()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("round %d: %v, %v: want one revocation and one refusal", round, e1, e2)
		}
		if err := errors.Join(e1, e2); domain.RuleOf(err) != tokens.RuleAlreadyRevoked {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	evs, _ := store.ReadStream(ctx, tokens.Stream, 1, 100)
	if len(evs) != 10 {
		t.Fatalf("%d events, want 5 issued and 5 revoked", len(evs))
	}
}

// TestTokenEventsClassified: every field of the token events declares who
// may see it; the actor ID (a citizen's pseudonym) and a revocation's
// reason are sealed, the hash, role and times are public.
func TestTokenEventsClassified(t *testing.T) {
	for ty, want := range map[string][]string{tokens.EventIssued: {"actorId"}, tokens.EventRevoked: {"reason"}} {
		if got := tokens.PrivateFields(ty); !slices.Equal(got, want) {
			t.Errorf("tokens.PrivateFields(%s) = %q, want %q", ty, got, want)
		}
	}
	if got := tokens.PrivateFields("proposal.signed"); got != nil {
		t.Errorf("PrivateFields of a domain event: %q", got)
	}
}

// TestErasedActorsTokenStandsForNoOne: on a sealed ledger a citizen's
// token.issued keeps their pseudonym beside the log; once it is erased, a
// service reading the log again refuses the token.
func TestErasedActorsTokenStandsForNoOne(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	secrets := sealed.NewMemory()
	store := sealed.NewLog(openStore(t), secrets, sealed.Policy{Fields: tokens.PrivateFields})
	cfg := tokens.Config{Secret: secret, Logger: quiet, Now: func() time.Time { return now }}
	svc := tokens.NewService(store, cfg)
	go svc.Run(ctx)
	tok, err := svc.Issue(ctx, staff, tokens.Request{Role: domain.RoleCitizen, Identity: "A123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, tok.Token); err != nil {
		t.Fatalf("before the erasure: %v", err)
	}
	value, _ := json.Marshal(tok.Record.ActorID)
	found, err := secrets.FindPerson(ctx, value)
	if err != nil || len(found) != 1 {
		t.Fatalf("the token's actor is not sealed: %v, %v", found, err)
	}
	for id, paths := range found {
		if _, err := secrets.Erase(ctx, id, paths...); err != nil {
			t.Fatal(err)
		}
	}
	again := tokens.NewService(store, cfg)
	go again.Run(ctx)
	if err := again.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Authenticate(ctx, tok.Token); !errors.Is(err, tokens.ErrUnauthenticated) || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("after the erasure: %v", err)
	}
}
