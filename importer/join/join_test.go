package join_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/internal/testenv"
)

var testSecret = []byte("join-test-secret-0123456789abcdef")

// Real proposals of the dataset, chosen for what they show.
const (
	fastest    = "2fd6e20f-3047-4100-8d31-79d200171570" // 5,000 in 6 h 33 min; answered
	extended   = "fc7c75b7-a398-4e6b-9bec-5a0d5f4f531d" // response deadline 426 days after establishment
	failed     = "b935a3cd-aa48-4f9b-a7f9-4d6a456ef46c" // SecondFailed, 70 signatures
	lateRows   = "eecb28a1-88d2-4ebf-8284-a487ab436f8b" // rows after the close Join last published
	noMetadata = "2cdc89d5-f0b6-45e5-870c-97c9a09acfb2" // a signature list and no title
	noList     = "e6624768-d402-48c7-ae25-8eeb9dac63f8" // a title and no signature list
)

type env struct {
	store  eventstore.Store
	ledger *app.Ledger
	im     *join.Importer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: testSecret, Handler: join.HandlerConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	im, err := join.New(join.Config{Ledger: l, Store: store, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: store, ledger: l, im: im}
}

func (e *env) stream(t testing.TB, id string) []eventstore.Event {
	t.Helper()
	evs, err := e.store.ReadStream(context.Background(), domain.ProposalStream(domain.ProposalID(id)), 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func realDir(t testing.TB) string {
	return filepath.Join(testenv.SharedDir(t), "data", "join-archive")
}

func readReal(t testing.TB, dir, id string) (*join.Proposal, []join.Signature) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, join.ProposalsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec *join.Proposal
	if err := join.ReadProposals(f, "proposals.jsonl", func(p *join.Proposal, _ int, err error) error {
		if err == nil && p.ID == id {
			rec = p
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		t.Fatalf("%s not in the dataset", id)
	}
	c, err := os.Open(filepath.Join(dir, join.SignaturesDir, id+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sigs, err := join.ReadSignatures(c, id+".csv")
	if err != nil {
		t.Fatal(err)
	}
	return rec, sigs
}

// TestImportRealProposals imports five real proposals and checks each
// against its record: every signature at its time with its county, the
// establishment by the goal-th row at Join's establishedAt, the deadline
// as Join published it, the first response, the expiry Join recorded; rows
// after the published close are decided and refused, and recorded once as
// late (rows 2566–5000); a list without metadata is reported, not
// recorded; metadata without a list records that the list is missing.
// Importing again records nothing and decides none of the late rows again.
func TestImportRealProposals(t *testing.T) {
	dir := realDir(t)
	e := newEnv(t)
	ctx := context.Background()
	var outcomes []join.Outcome
	sum, err := e.im.ImportDir(ctx, dir, join.DirOptions{Only: []string{fastest, extended, failed, lateRows, noMetadata, noList}}, func(o join.Outcome) { outcomes = append(outcomes, o) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Proposals != 6 || sum.Recorded != 5 || sum.WithoutMetadata != 1 || sum.Refused != 0 || sum.ListsMissing != 1 || sum.Late != 2435 {
		t.Fatalf("summary:\n%s", sum)
	}
	for _, id := range []string{fastest, extended} {
		rec, sigs := readReal(t, dir, id)
		evs := e.stream(t, id)
		var signed, est int
		for _, ev := range evs {
			switch ev.Type {
			case "proposal.signed":
				var s domain.ProposalSigned
				if err := json.Unmarshal(ev.Data, &s); err != nil {
					t.Fatal(err)
				}
				row := sigs[signed]
				signed++
				if !s.At.Equal(row.At) || !ev.Metadata.OccurredAt.Equal(row.At) || s.County != row.County || s.District != row.District || s.Count != signed {
					t.Fatalf("%s: signature %d recorded %+v (occurred %s), want row %+v", id, signed, s, ev.Metadata.OccurredAt, row)
				}
				if s.Signer != domain.Pseudonym(testSecret, join.SignerRef(id, row.N)) {
					t.Fatalf("%s: signature %d by %s, not the pseudonym of its row", id, signed, s.Signer)
				}
			case "proposal.established":
				est++
				var x domain.ProposalEstablished
				if err := json.Unmarshal(ev.Data, &x); err != nil {
					t.Fatal(err)
				}
				if x.Count != rec.Goal || !x.At.Equal(rec.EstablishedAt) {
					t.Fatalf("%s: established at count %d at %s, want %d at %s", id, x.Count, x.At, rec.Goal, rec.EstablishedAt)
				}
			}
		}
		if signed != len(sigs) || est != 1 {
			t.Fatalf("%s: %d signatures, %d establishments; want %d and 1", id, signed, est, len(sigs))
		}
	}
	types := func(id string) string {
		var ts []string
		for _, ev := range e.stream(t, id) {
			if ev.Type != "proposal.signed" {
				ts = append(ts, ev.Type)
			}
		}
		return strings.Join(ts, " ")
	}
	if got, want := types(extended), "proposal.submitted proposal.published proposal.milestone_reached proposal.milestone_reached proposal.established proposal.response_deadline_extended proposal.responded"; got != want {
		t.Errorf("extended: %s\nwant %s", got, want)
	}
	if got, want := types(failed), "proposal.submitted proposal.published proposal.expired"; got != want {
		t.Errorf("failed: %s\nwant %s", got, want)
	}
	if got, want := types(noList), "proposal.submitted proposal.published proposal.signature_list_missing"; got != want {
		t.Errorf("no list: %s\nwant %s", got, want)
	}
	if n := len(e.stream(t, noMetadata)); n != 0 {
		t.Errorf("a proposal without metadata has %d events", n)
	}
	for _, o := range outcomes {
		if o.ProposalID == lateRows && (o.Refused["proposal.sign.window_closed"] != 2435 || o.Late != 2435 || strings.Join(o.LateRuns, " ") != "2566–5000") {
			t.Errorf("rows after the close were not refused and recorded as late once: %s", o)
		}
		if o.ProposalID == noList && (!o.ListMissing || !strings.Contains(o.String(), "signature list missing")) {
			t.Errorf("no list: %s", o)
		}
	}
	if got, want := types(lateRows), "proposal.late_signatures_recorded"; !strings.Contains(got, want) {
		t.Errorf("late rows: %s, without %s", got, want)
	}
	// The organisations the proposals name are in the registry under
	// Join's names, each once, so pages show names rather than codes.
	regs, err := e.store.ReadStream(ctx, domain.RegistryStream(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	names := map[domain.MinistryID]string{}
	for _, ev := range regs {
		var m domain.MinistryRegistered
		if ev.Type != "registry.ministry_registered" || json.Unmarshal(ev.Data, &m) != nil {
			t.Fatalf("registry event %s", ev.Type)
		}
		if _, dup := names[m.MinistryID]; dup {
			t.Errorf("%s registered twice", m.MinistryID)
		}
		names[m.MinistryID] = m.Name
	}
	for _, id := range []string{fastest, extended, failed, lateRows} {
		rec, _ := readReal(t, dir, id)
		for _, m := range rec.Ministries {
			if names[domain.MinistryID(m.ID)] != m.Name {
				t.Errorf("%s names %s %s; the registry has %q", id, m.ID, m.Name, names[domain.MinistryID(m.ID)])
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no organisation registered")
	}
	head, _ := e.store.Head(ctx)
	// Again, by an importer that does not remember what it registered.
	fresh, err := join.New(join.Config{Ledger: e.ledger, Store: e.store, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	var lateAgain join.Outcome
	again, err := fresh.ImportDir(ctx, dir, join.DirOptions{Only: []string{fastest, extended, failed, lateRows, noMetadata, noList}}, func(o join.Outcome) {
		if o.ProposalID == lateRows {
			lateAgain = o
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if head2, _ := e.store.Head(ctx); head2 != head || again.Events != 0 || again.Unchanged != 5 || len(again.RefusedByRule) != 0 || again.LatePresent != 2435 {
		t.Fatalf("re-import stored %d events (head %d → %d), refused %v:\n%s", again.Events, head, head2, again.RefusedByRule, again)
	}
	if !strings.Contains(again.String(), "2435 late rows already recorded") || !strings.Contains(lateAgain.String(), "2435 late rows already recorded") || strings.Contains(again.String(), "refused by") {
		t.Errorf("re-import reports:\n%s\n%s", again, lateAgain)
	}
}

// TestImportResumesAndGrows: a proposal imported halfway (a crash, or an
// older download) is completed by the next import, which appends only the
// rows not yet recorded.
func TestImportResumesAndGrows(t *testing.T) {
	dir := realDir(t)
	e := newEnv(t)
	ctx := context.Background()
	rec, sigs := readReal(t, dir, fastest)
	first := e.im.Import(ctx, rec, sigs[:3000], "half")
	if first.Err != nil || first.Signatures != 3000 || first.Established {
		t.Fatalf("first half: %s", first)
	}
	second := e.im.Import(ctx, rec, sigs, "whole")
	if second.Err != nil || second.Signatures != len(sigs)-3000 || second.Present != 3000 || !second.Established || !second.Responded {
		t.Fatalf("the rest: %s", second)
	}
	n := 0
	for _, ev := range e.stream(t, fastest) {
		if ev.Type == "proposal.signed" {
			n++
		}
	}
	if n != len(sigs) {
		t.Fatalf("%d signatures stored, want %d", n, len(sigs))
	}
}

// TestBadRecordsAreNamedAndChangeNothing: a line that is not a record and
// a signature list with a bad row are refused with file and line; nothing
// of those proposals is stored; the good one is.
func TestBadRecordsAreNamedAndChangeNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, join.SignaturesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := strings.Join([]string{
		`{"id":"good","title":"好提案","ministries":[{"id":"315000000H","name":"交通部","role":"lead"}],"publishedAt":"2018-01-01T10:00:00+08:00","signingClosesAt":"2018-03-02T00:00:00+08:00","goal":2,"periodDays":60,"status":"FirstSigned"}`,
		`{"id":"broken","title":`,
		`{"id":"badrow","title":"壞列","publishedAt":"2018-01-01T10:00:00+08:00","signingClosesAt":"2018-03-02T00:00:00+08:00","goal":5000}`,
		`{"id":"has space","title":"x","publishedAt":"2018-01-01T10:00:00+08:00"}`,
	}, "\n") + "\n"
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(join.ProposalsFile, lines)
	write("signatures/good.csv", "n,at,county,district\n1,2018-01-02T10:00:00+08:00,臺北市,大安區\n2,2018-01-02T11:00:00+08:00,,\n3,2018-01-03T11:00:00+08:00,高雄市,\n")
	write("signatures/badrow.csv", "n,at,county,district\n1,2018-01-02T10:00:00+08:00,臺北市,大安區\n2,2018-01-02T11:00:00+08:00,臺北市,大安區\n3,yesterday,臺北市,大安區\n")
	e := newEnv(t)
	var refused []string
	sum, err := e.im.ImportDir(context.Background(), dir, join.DirOptions{}, func(o join.Outcome) {
		if o.Err != nil {
			if !errors.Is(o.Err, join.ErrBadRecord) {
				t.Errorf("%s: %v is not a bad record", o.Source, o.Err)
			}
			refused = append(refused, o.Err.Error())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Refused != 3 || sum.Recorded != 1 || sum.Signatures != 3 || sum.Established != 1 {
		t.Fatalf("summary:\n%s\nrefused: %q", sum, refused)
	}
	all := strings.Join(refused, "\n")
	for _, want := range []string{join.ProposalsFile + ":2:", "badrow.csv:4:", join.ProposalsFile + ":4:"} {
		if !strings.Contains(all, want) {
			t.Errorf("no refusal names %s:\n%s", want, all)
		}
	}
	for _, id := range []string{"broken", "badrow"} {
		if n := len(e.stream(t, id)); n != 0 {
			t.Errorf("%s: %d events stored", id, n)
		}
	}
	var s domain.ProposalSigned
	for _, ev := range e.stream(t, "good") {
		if ev.Type == "proposal.signed" {
			s = domain.ProposalSigned{}
			if err := json.Unmarshal(ev.Data, &s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s.County != "高雄市" || s.District != "" || !s.At.Equal(time.Date(2018, 1, 3, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("last signature %+v", s)
	}
}

// TestLateRowsOfARecordThatGrew: a download that stopped inside the rows
// after the close records those; the next, longer one records only the
// rows that are new as late, and skips the others without deciding them.
func TestLateRowsOfARecordThatGrew(t *testing.T) {
	dir := realDir(t)
	e := newEnv(t)
	ctx := context.Background()
	rec, sigs := readReal(t, dir, lateRows)
	first := e.im.Import(ctx, rec, sigs[:4800], "older download")
	if first.Err != nil || first.Late != 4800-2565 || strings.Join(first.LateRuns, " ") != "2566–4800" {
		t.Fatalf("older download: %s", first)
	}
	second := e.im.Import(ctx, rec, sigs, "newer download")
	if second.Err != nil || second.Late != 200 || second.LatePresent != 4800-2565 || strings.Join(second.LateRuns, " ") != "4801–5000" || second.Refused["proposal.sign.window_closed"] != 200 {
		t.Fatalf("newer download: %s", second)
	}
	third := e.im.Import(ctx, rec, sigs, "again")
	if third.Err != nil || third.Events != 0 || third.LatePresent != 2435 || len(third.Refused) != 0 {
		t.Fatalf("again: %s", third)
	}
}

// TestMissingListSupersededByTheList: a record without a signature list
// records that it is missing, once, by the import and by a feed alike; the
// list arriving later (a record that grew) supersedes it, and the fact is
// not recorded again.
func TestMissingListSupersededByTheList(t *testing.T) {
	dir := realDir(t)
	e := newEnv(t)
	ctx := context.Background()
	f, err := os.Open(filepath.Join(dir, join.ProposalsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var line []byte
	if err := join.ReadProposals(f, "proposals.jsonl", func(p *join.Proposal, _ int, err error) error {
		if err == nil && p.ID == noList {
			line, err = json.Marshal(p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The same record sent as a feed: its line has no signatures member.
	recs, err := join.DecodeFeed(strings.NewReader(string(line)+"\n"), "feed")
	if err != nil || !recs[0].Proposal.SignatureListAbsent() {
		t.Fatalf("feed: %v, absent %v", err, err == nil && recs[0].Proposal.SignatureListAbsent())
	}
	rec := recs[0].Proposal
	o := e.im.Import(ctx, rec, nil, "feed:1")
	if o.Err != nil || !o.ListMissing {
		t.Fatalf("first: %s", o)
	}
	if o = e.im.Import(ctx, rec, nil, "feed:1"); o.Err != nil || o.Events != 0 || o.ListMissing || len(o.Refused) != 0 {
		t.Fatalf("again: %s", o)
	}
	// An empty list ("signatures": 0) is not a missing one.
	empty, err := join.DecodeFeed(strings.NewReader(`{"id":"j-empty","title":"空名單","publishedAt":"2018-01-01T10:00:00+08:00","signingClosesAt":"2018-03-02T00:00:00+08:00","goal":5000,"signatures":0}`+"\n"), "feed")
	if err != nil || empty[0].Proposal.SignatureListAbsent() {
		t.Fatalf("empty list: %v", err)
	}
	if o := e.im.Import(ctx, empty[0].Proposal, nil, "feed:1"); o.Err != nil || o.ListMissing {
		t.Fatalf("an empty list recorded as missing: %s", o)
	}
	// The list arrives.
	sigs := []join.Signature{{N: 1, At: rec.PublishedAt.Add(time.Hour), County: "臺北市"}, {N: 2, At: rec.PublishedAt.Add(2 * time.Hour)}}
	if o = e.im.Import(ctx, rec, sigs, "grown"); o.Err != nil || o.Signatures != 2 || o.ListMissing {
		t.Fatalf("the list: %s", o)
	}
	if o = e.im.Import(ctx, rec, nil, "feed:1"); o.Err != nil || o.Events != 0 || len(o.Refused) != 0 {
		t.Fatalf("the record without its rows, after the list: %s", o)
	}
	var ts []string
	for _, ev := range e.stream(t, noList) {
		ts = append(ts, ev.Type)
	}
	if got, want := strings.Join(ts, " "), "proposal.submitted proposal.published proposal.signature_list_missing proposal.signed proposal.signed"; got != want {
		t.Errorf("stream: %s\nwant %s", got, want)
	}
}
