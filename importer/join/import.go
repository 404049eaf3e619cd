package join

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// FeedActorID is the staff account the feed's staff commands (publish,
// expire) are recorded under, and the ID of the ministries' responses it
// relays.
const FeedActorID = "join-feed"

// Reason says why the feed's commands are dated in the past.
const Reason = "imported from Join"

// SignerRef is Join's reference of the signer of row n of proposal id: the
// row number, scoped to the proposal. The server derives the signer's
// pseudonym from it with its secret; the reference itself is never stored.
func SignerRef(id string, n int) string { return "join:" + id + "#" + strconv.Itoa(n) }

// ProposerRef is the reference of a proposal's proposer, who Join does not
// name in the dataset.
func ProposerRef(id string) string { return "join:" + id + "#proposer" }

// Executor executes the planned commands; *app.Ledger is one.
type Executor interface {
	ExecuteMany(ctx context.Context, items []app.Item) ([]app.Result, []error)
}

// Config configures an Importer.
type Config struct {
	// Ledger executes the commands (required).
	Ledger Executor
	// Store is read to find what each proposal's stream already holds
	// (required; the ledger's store).
	Store eventstore.Store
	// Secret keys the signers' pseudonyms (required): the server's
	// pseudonym secret, so a feed and an import agree.
	Secret []byte
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// Importer records Join records in the ledger. It is safe for concurrent
// use; proposals may be imported in parallel.
type Importer struct {
	cfg Config
	log *slog.Logger
	// registered holds the organisation codes known to be in the PO
	// registry (recorded by this importer or found there), so each is
	// registered once.
	registered sync.Map
}

// New returns an Importer.
func New(cfg Config) (*Importer, error) {
	if cfg.Ledger == nil || cfg.Store == nil {
		return nil, errors.New("join importer: needs a ledger and its store")
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("join importer: needs the pseudonym secret")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Importer{cfg: cfg, log: log}, nil
}

// Outcome is what importing one proposal did.
type Outcome struct {
	// ProposalID is the proposal.
	ProposalID string
	// Title is its title (empty without metadata).
	Title string
	// Source is where its record is ("proposals.jsonl:12").
	Source string
	// Events is how many events were stored.
	Events int
	// Signatures is how many signatures were recorded now; Present how many
	// rows were already recorded.
	Signatures, Present int
	// Established, Responded, Extended, Expired say what was recorded now
	// (Responded: a lead ministry's response).
	Established, Responded, Extended, Expired bool
	// Responses counts the responses recorded now: the lead ministries'
	// (LeadResponses, one per lead at most) and the further ones
	// (co-organisers', later answers).
	Responses, LeadResponses int
	// Refused counts the commands the domain refused, by rule code
	// (signatures after the close Join last published, a response to a
	// proposal that did not reach its goal): decided, not recorded.
	Refused map[string]int
	// Late counts the rows made after the close recorded now as such
	// (proposal.late_signatures_recorded, in LateRuns runs of rows, each
	// "first–last"); LatePresent the rows recorded so before, skipped
	// without being decided again (decision 0056).
	Late, LatePresent int
	LateRuns          []string
	// ListMissing says that the record's missing signature list was
	// recorded now (proposal.signature_list_missing).
	ListMissing bool
	// Warnings say what the record holds that the ledger did not record,
	// and why.
	Warnings []string
	// Err is a bad record (a *RecordError: nothing of the proposal was
	// recorded) or a failure of the store.
	Err error
}

// String is the outcome on one line.
func (o Outcome) String() string {
	var b strings.Builder
	if o.Err != nil {
		fmt.Fprintf(&b, "REFUSED %s: %v", o.ProposalID, o.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %d events, %d signatures (%d already recorded)", o.ProposalID, o.Events, o.Signatures, o.Present)
	for _, x := range []struct {
		on   bool
		what string
	}{{o.Established, "established"}, {o.Extended, "deadline extended"}, {o.Responded, "responded"}, {o.Expired, "expired"}} {
		if x.on {
			b.WriteString("; " + x.what)
		}
	}
	if o.Responses > 0 {
		fmt.Fprintf(&b, "; %d responses", o.Responses)
	}
	if o.ListMissing {
		b.WriteString("; signature list missing")
	}
	if o.Late > 0 {
		fmt.Fprintf(&b, "; %d rows after the close recorded as late (rows %s)", o.Late, strings.Join(o.LateRuns, ", "))
	}
	if o.LatePresent > 0 {
		fmt.Fprintf(&b, "; %d late rows already recorded", o.LatePresent)
	}
	for _, code := range slices.Sorted(maps.Keys(o.Refused)) {
		fmt.Fprintf(&b, "; %d refused by %s", o.Refused[code], code)
	}
	return b.String()
}

// Import records one proposal and its signature rows (in row order). The
// record must have been read by ReadProposals or DecodeFeed.
func (im *Importer) Import(ctx context.Context, p *Proposal, sigs []Signature, source string) Outcome {
	o := Outcome{ProposalID: p.ID, Title: p.Title, Source: source}
	if p.IsTest() {
		o.Warnings = append(o.Warnings, "a platform test proposal (title starts with (此為測試議題)): not recorded")
		return o
	}
	if !p.HasMetadata() {
		if len(sigs) > 0 {
			o.Warnings = append(o.Warnings, fmt.Sprintf("no title or publication in the archive: its %d signatures are not recorded", len(sigs)))
		} else {
			o.Warnings = append(o.Warnings, "no title or publication in the archive: not recorded")
		}
		return o
	}
	id := domain.ProposalID(p.ID)
	state, err := im.load(ctx, id)
	if err != nil {
		o.Err = err
		return o
	}
	staff := domain.Actor{ID: FeedActorID, Role: domain.RolePDIS}
	dated := dating(p)
	items := make([]app.Item, 0, len(sigs)+2+len(p.Ministries))
	// The organisations the proposal names go into the registry with
	// Join's names, so pages show 交通部, not 315000000H.
	var registering []string
	for _, m := range p.Ministries {
		if _, known := im.registered.Load(m.ID); known || m.ID == "" || strings.TrimSpace(m.Name) == "" || slices.Contains(registering, m.ID) {
			continue
		}
		registering = append(registering, m.ID)
		items = append(items, app.Item{Actor: staff, Command: domain.RegisterMinistry{MinistryID: domain.MinistryID(m.ID), Name: m.Name}, Options: dated(p.PublishedAt)})
	}
	switch state.Status() {
	case domain.ProposalStatusNone:
		proposer := domain.Pseudonym(im.cfg.Secret, ProposerRef(p.ID))
		items = append(items, app.Item{Actor: domain.Actor{ID: string(proposer), Role: domain.RoleProposer},
			Command: domain.SubmitProposal{ProposalID: id, Title: p.Title, Summary: p.Outline}, Options: dated(p.PublishedAt)})
		fallthrough
	case domain.ProposalStatusSubmitted:
		pub := domain.PublishProposal{ProposalID: id, Threshold: p.Goal, SigningClosesAt: p.SigningClosesAt, CoOrganisers: ministryIDs(p.CoOrganisers())}
		if leads := ministryIDs(p.Leads()); len(leads) > 0 {
			pub.CompetentMinistry, pub.OtherLeads = leads[0], leads[1:]
		} else {
			pub.NotYetAssigned = true
		}
		items = append(items, app.Item{Actor: staff, Command: pub, Options: dated(p.PublishedAt)})
	default:
		o.Warnings = append(o.Warnings, differentMinistries(p, state)...)
	}
	pseudonyms := domain.NewPseudonyms(im.cfg.Secret)
	// rowOf[i-firstSign] is the row of items[i], a signature.
	firstSign := len(items)
	var rowOf []int32
	for k, s := range sigs {
		signer := pseudonyms.Of(SignerRef(p.ID, s.N))
		if state.HasSigned(signer) {
			o.Present++
			continue
		}
		if state.LateRow(s.N) {
			o.LatePresent++ // made after the close, recorded so: not decided again
			continue
		}
		items = append(items, app.Item{Actor: domain.Actor{ID: string(signer), Role: domain.RoleCitizen},
			Command: domain.SignProposal{ProposalID: id, Signer: signer, County: s.County, District: s.District},
			At:      s.At})
		rowOf = append(rowOf, int32(k))
	}
	var late []int // the rows refused as made after the close, in order
	lateRefusal := func(i int, rule string) {
		if rule == ruleWindowClosed && i >= firstSign {
			late = append(late, int(rowOf[i-firstSign]))
		}
	}
	due, established := state.ResponseDueAt(), state.IsEstablished()
	if err := im.run(ctx, items, &o, func(ev eventstore.Event) error {
		switch ev.Type {
		case "proposal.signed":
			o.Signatures++
		case "proposal.established":
			var e struct {
				ResponseDueAt time.Time `json:"responseDueAt"`
			}
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return fmt.Errorf("proposal %s: read back its establishment: %w", p.ID, err)
			}
			due, established, o.Established = e.ResponseDueAt, true, true
		}
		return nil
	}, lateRefusal); err != nil {
		o.Err = err
		return o
	}
	for _, id := range registering {
		im.registered.Store(id, true)
	}
	items = append(im.facts(p, state, sigs, late, o.Signatures), im.after(p, state, established, due, &o)...)
	if err := im.run(ctx, items, &o, func(ev eventstore.Event) error {
		switch ev.Type {
		case "proposal.signature_list_missing":
			o.ListMissing = true
		case "proposal.late_signatures_recorded":
			var e struct {
				FirstRow, LastRow, Rows int
			}
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return fmt.Errorf("proposal %s: read back its late rows: %w", p.ID, err)
			}
			o.Late += e.Rows
			o.LateRuns = append(o.LateRuns, fmt.Sprintf("%d–%d", e.FirstRow, e.LastRow))
		case "proposal.response_deadline_extended":
			o.Extended = true
		case "proposal.responded":
			o.Responded = true
			o.LeadResponses++
			o.Responses++
		case "proposal.response_added":
			o.Responses++
		case "proposal.expired":
			o.Expired = true
		}
		return nil
	}, nil); err != nil {
		o.Err = err
	}
	return o
}

// ruleWindowClosed is the domain's refusal of a signature made after the
// close of signing.
const ruleWindowClosed = "proposal.sign.window_closed"

// facts plans the facts of p's record the stream does not hold
// (decision 0056): each run of rows (consecutive numbers) the domain
// refused as made after the close, recorded once so that no import
// decides them again; and that the record has no signature list, when it
// has none and the stream holds no signature (recorded signed now: signed).
func (im *Importer) facts(p *Proposal, state *domain.Proposal, sigs []Signature, late []int, signed int) []app.Item {
	id, dated := domain.ProposalID(p.ID), dating(p)
	staff := domain.Actor{ID: FeedActorID, Role: domain.RolePDIS}
	var items []app.Item
	for i := 0; i < len(late); {
		j := i + 1
		for j < len(late) && sigs[late[j]].N == sigs[late[j-1]].N+1 {
			j++
		}
		first, last := sigs[late[i]], sigs[late[j-1]]
		items = append(items, app.Item{Actor: staff, Command: domain.RecordLateSignatures{ProposalID: id, FirstRow: first.N, LastRow: last.N, LastAt: last.At},
			Options: dated(first.At)})
		i = j
	}
	if p.SignatureListAbsent() && len(sigs) == 0 && signed == 0 && state.ValidSignatures() == 0 && !state.SignatureListMissing() {
		// Dated when the archive last saw the record without a list.
		at := p.PublishedAt
		if p.Snapshot.After(at) {
			at = p.Snapshot
		}
		items = append(items, app.Item{Actor: staff, Command: domain.RecordSignatureListMissing{ProposalID: id}, Options: dated(at)})
	}
	return items
}

// after plans what follows the signatures: the deadline as Join published
// it, every response, the expiry Join recorded.
func (im *Importer) after(p *Proposal, state *domain.Proposal, established bool, due time.Time, o *Outcome) []app.Item {
	id, dated := domain.ProposalID(p.ID), dating(p)
	leads := ledgerLeads(p, state)
	var items []app.Item
	if established {
		// Join's deadline, when later than the rules' (an announced
		// extension; six proposals have over 400 days), before the
		// leads' responses, announced by a lead that has not answered.
		lead, hasLead := domain.MinistryID(""), false
		for _, m := range leads {
			if !state.LeadResponded(m) {
				lead, hasLead = m, true
				break
			}
		}
		if !state.Responded() && !p.ResponseDueAt.IsZero() && hasLead {
			day := calendar.DateOf(p.ResponseDueAt)
			if day.End().After(due) {
				at := p.EstablishedAt
				if at.IsZero() || at.After(p.ResponseDueAt) {
					at = p.ResponseDueAt
				}
				items = append(items, app.Item{Actor: domain.Actor{ID: FeedActorID, Role: domain.RoleMinistry, Ministry: lead},
					Command: domain.ExtendResponseDeadline{ProposalID: id, NewDueDate: day, Reason: string(domain.ReasonJoinPublishedDeadline)},
					Options: dated(at)})
			}
		}
		items = append(items, im.responses(p, state, leads, o)...)
	} else if len(p.Responses) > 0 {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%d responses on Join, but the proposal did not reach its goal in the ledger: not recorded", len(p.Responses)))
	}
	if p.Status == "SecondFailed" && !established && state.Status() != domain.ProposalStatusExpired {
		items = append(items, app.Item{Actor: domain.Actor{ID: FeedActorID, Role: domain.RolePDIS},
			Command: domain.ExpireProposal{ProposalID: id}, Options: dated(p.SigningClosesAt)})
	}
	return items
}

// dating returns the options of a command of p's that happened at t: its
// occurred time, caused by Join's record.
func dating(p *Proposal) func(t time.Time) []app.Option {
	return func(t time.Time) []app.Option {
		return []app.Option{app.WithOccurredAt(t), app.WithCausationID("join:" + p.ID)}
	}
}

// responses plans every response Join published that the stream does not
// hold yet, oldest first: each lead's first answer (or, without a lead,
// whoever answered first) as proposal.respond, which the deadline counts,
// and every other one (co-organisers' parts, later answers) as
// proposal.add_response. The leads are the ledger's (ledgerLeads). A
// response by a ministry the proposal does not name, or without text, is
// not recorded and said.
func (im *Importer) responses(p *Proposal, state *domain.Proposal, leads []domain.MinistryID, o *Outcome) []app.Item {
	id, dated := domain.ProposalID(p.ID), dating(p)
	answered := map[domain.MinistryID]bool{}
	for _, m := range leads {
		answered[m] = state.LeadResponded(m)
	}
	anyAnswered := state.Responded()
	var items []app.Item
	var unnamed, empty int
	for _, r := range p.Responses {
		m, ok := p.MinistryNamed(r.Ministry)
		switch {
		case !ok:
			unnamed++
			continue
		case strings.TrimSpace(r.Text) == "":
			empty++
			continue
		case state.HasResponse(domain.MinistryID(m.ID), r.At):
			continue
		}
		actor := domain.Actor{ID: FeedActorID, Role: domain.RoleMinistry, Ministry: domain.MinistryID(m.ID)}
		var cmd domain.Command = domain.AddProposalResponse{ProposalID: id, Summary: r.Text}
		switch mid := domain.MinistryID(m.ID); {
		case len(leads) == 0 && !anyAnswered:
			cmd, anyAnswered = domain.RespondToProposal{ProposalID: id, Summary: r.Text}, true
		case slices.Contains(leads, mid) && !answered[mid]:
			cmd, answered[mid] = domain.RespondToProposal{ProposalID: id, Summary: r.Text}, true
		}
		items = append(items, app.Item{Actor: actor, Command: cmd, Options: dated(r.At)})
	}
	if unnamed > 0 {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%d responses by a ministry the proposal does not name: not recorded", unnamed))
	}
	if empty > 0 {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%d responses without text: not recorded", empty))
	}
	return items
}

// ministryIDs are the ministries' IDs.
func ministryIDs(ms []Ministry) []domain.MinistryID {
	var out []domain.MinistryID
	for _, m := range ms {
		out = append(out, domain.MinistryID(m.ID))
	}
	return out
}

// ledgerLeads are the lead ministries the ledger holds for the proposal:
// the stream's once published (a stream published before decision 0048,
// or before Join named its leads, keeps the leads it was published with;
// the ledger records no assignment after publication), the record's when
// this import publishes it.
func ledgerLeads(p *Proposal, state *domain.Proposal) []domain.MinistryID {
	switch state.Status() {
	case domain.ProposalStatusNone, domain.ProposalStatusSubmitted:
		return ministryIDs(p.Leads())
	}
	return state.Leads()
}

// differentMinistries says where Join's record names other ministries than
// the stream was published with: a stream imported before the ledger knew
// several leads (decision 0048), or a record that named its ministries
// after its publication was recorded. The ledger does not change a
// publication: the leads it holds owe their answers; the others' answers
// are recorded as further responses.
func differentMinistries(p *Proposal, state *domain.Proposal) []string {
	name := func(id domain.MinistryID) string {
		for _, m := range p.Ministries {
			if m.ID == string(id) && m.Name != "" {
				return m.Name
			}
		}
		return string(id)
	}
	missing := func(named []Ministry, held []domain.MinistryID) []string {
		var out []string
		for _, m := range named {
			if !slices.Contains(held, domain.MinistryID(m.ID)) {
				out = append(out, m.Name)
			}
		}
		return out
	}
	var out []string
	if leads := missing(p.Leads(), state.Leads()); len(leads) > 0 {
		held := make([]string, 0, len(state.Leads()))
		for _, m := range state.Leads() {
			held = append(held, name(m))
		}
		out = append(out, fmt.Sprintf("published with lead ministries [%s]; Join also names %s as lead: not recorded as a lead (its answers are further responses)", strings.Join(held, "、"), strings.Join(leads, "、")))
	}
	if co := missing(p.CoOrganisers(), state.CoOrganisers()); len(co) > 0 {
		out = append(out, fmt.Sprintf("Join names co-organiser %s, not in the publication: not recorded as a co-organiser", strings.Join(co, "、")))
	}
	return out
}

// ruleMinistryExists is the registry's refusal of an organisation
// registered before.
const ruleMinistryExists = "registry.register_ministry.exists"

// run executes items and looks at every stored event; the domain's
// refusals are counted by rule (and told to refused, when not nil, with
// the item's index), other errors end the proposal.
func (im *Importer) run(ctx context.Context, items []app.Item, o *Outcome, seen func(eventstore.Event) error, refused func(i int, rule string)) error {
	if len(items) == 0 {
		return nil
	}
	results, errs := im.cfg.Ledger.ExecuteMany(ctx, items)
	var failed error
	for i, err := range errs {
		if err != nil {
			var re *domain.RuleError
			if errors.As(err, &re) {
				if re.Rule == ruleMinistryExists {
					continue // registered before: what was wanted
				}
				if o.Refused == nil {
					o.Refused = map[string]int{}
				}
				o.Refused[re.Rule]++
				if refused != nil {
					refused(i, re.Rule)
				}
				continue
			}
			if failed == nil {
				failed = fmt.Errorf("proposal %s: %w", o.ProposalID, err)
			}
			continue
		}
		for _, ev := range results[i].Events {
			o.Events++
			if err := seen(ev); err != nil && failed == nil {
				failed = err
			}
		}
	}
	return failed
}

// load folds the proposal's stream as stored.
func (im *Importer) load(ctx context.Context, id domain.ProposalID) (*domain.Proposal, error) {
	p := domain.NewProposal(id)
	stream := domain.ProposalStream(id)
	for {
		evs, err := im.cfg.Store.ReadStream(ctx, stream, p.Version()+1, 4096)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, se := range evs {
			de, err := domain.Decode(se.Type, se.SchemaVersion, se.Data)
			if err == nil {
				err = p.Apply(de)
			}
			if err != nil {
				return nil, fmt.Errorf("read %s at version %d: %w", stream, se.Version, err)
			}
		}
		if len(evs) < 4096 {
			return p, nil
		}
	}
}

// Summary adds up the outcomes of an import.
type Summary struct {
	Proposals, Recorded, Unchanged, WithoutMetadata, Tests, Refused int
	Events, Signatures, Present                                     int
	Established, Responded, Extended, Expired                       int
	// Responses counts every response recorded (LeadResponses the lead
	// ministries' own, one per lead; Responded the proposals with one).
	Responses, LeadResponses int
	// ListsMissing counts the missing signature lists recorded; Late the
	// rows after the close recorded as late, LatePresent those recorded
	// before and skipped (decision 0056).
	ListsMissing, Late, LatePresent int
	RefusedByRule                   map[string]int
	// Warnings are the outcomes with warnings (and the refused ones), in
	// the order they came.
	Warnings []Outcome
	Elapsed  time.Duration

	mu sync.Mutex
}

// Add counts one outcome.
func (s *Summary) Add(o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Proposals++
	switch {
	case o.Err != nil:
		s.Refused++
	case strings.HasPrefix(firstOr(o.Warnings), "a platform test"):
		s.Tests++
	case strings.HasPrefix(firstOr(o.Warnings), "no title"):
		s.WithoutMetadata++
	case o.Events > 0:
		s.Recorded++
	default:
		s.Unchanged++
	}
	s.Events += o.Events
	s.Signatures += o.Signatures
	s.Present += o.Present
	s.Responses += o.Responses
	s.LeadResponses += o.LeadResponses
	s.Late += o.Late
	s.LatePresent += o.LatePresent
	if o.ListMissing {
		s.ListsMissing++
	}
	for _, x := range []struct {
		on bool
		n  *int
	}{{o.Established, &s.Established}, {o.Responded, &s.Responded}, {o.Extended, &s.Extended}, {o.Expired, &s.Expired}} {
		if x.on {
			*x.n++
		}
	}
	for code, n := range o.Refused {
		if s.RefusedByRule == nil {
			s.RefusedByRule = map[string]int{}
		}
		s.RefusedByRule[code] += n
	}
	if o.Err != nil || len(o.Warnings) > 0 || len(o.Refused) > 0 {
		s.Warnings = append(s.Warnings, o)
	}
}

func firstOr(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return ws[0]
}

// String is the summary in a few lines.
func (s *Summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d proposals: %d recorded, %d unchanged, %d without metadata (not recorded), %d test proposals skipped, %d refused\n",
		s.Proposals, s.Recorded, s.Unchanged, s.WithoutMetadata, s.Tests, s.Refused)
	fmt.Fprintf(&b, "%d events; %d signatures recorded, %d already recorded; %d established, %d deadlines extended, %d responses (%d lead ministries' own, on %d proposals), %d expired",
		s.Events, s.Signatures, s.Present, s.Established, s.Extended, s.Responses, s.LeadResponses, s.Responded, s.Expired)
	if s.ListsMissing > 0 {
		fmt.Fprintf(&b, "\n%d signature lists recorded as missing from the record", s.ListsMissing)
	}
	if s.Late > 0 {
		fmt.Fprintf(&b, "\n%d rows after the close recorded as late", s.Late)
	}
	if s.LatePresent > 0 {
		fmt.Fprintf(&b, "\n%d late rows already recorded", s.LatePresent)
	}
	for _, code := range slices.Sorted(maps.Keys(s.RefusedByRule)) {
		fmt.Fprintf(&b, "\nrefused by the rules (decided, not recorded): %d × %s", s.RefusedByRule[code], code)
	}
	if s.Elapsed > 0 {
		fmt.Fprintf(&b, "\nin %s (%.0f signatures/s)", s.Elapsed.Round(time.Millisecond), float64(s.Signatures)/s.Elapsed.Seconds())
	}
	return b.String()
}

// HandlerConfig is the command side's tuning for an import: batches of up
// to 8,192 commands a stream, so a proposal's signatures take a few
// appends.
func HandlerConfig() app.Config { return app.Config{MaxBatch: 8192} }
