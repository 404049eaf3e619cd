// Package readmodels holds the ledger's read models: the projections that
// fold the event log into what the public pages, the JSON API, the auditors
// and PDIS's reports read, and the typed queries over them.
//
//	Tallies      per proposal its valid signatures, when and at which log
//	             position each milestone was crossed, establishment or
//	             expiry and the response deadline; per PO monthly meeting
//	             its candidates, ballots and tally. Announces milestones and
//	             deadlines (integration events).
//	CaseBoard    every case: source, stage, lead and co-organisers, stage
//	             history with durations, meetings, the stakeholder inventory
//	             against who attended (inclusion), recommendations and
//	             responses.
//	Transcripts  per meeting: the current text of each utterance and every
//	             earlier version (who, when, why), reattributions, the edit
//	             window; notes and anonymous questions.
//	Trail        per case the ordered account of how its outcome arose, one
//	             entry per event with its actor, both times, its position and
//	             its event ID.
//	Directory    the PO registry as the public sees it: ministries with their
//	             names, Participation Officers' public fields.
//	ReportInputs the events the period report (package reports) reads, by
//	             position, for reports.Compute (ReportInputsLog); the server
//	             runs it beside All.
//	Counties     per proposal its valid signatures by county (never the
//	             district), for the proposal page's map.
//	VotedIndex   the dates of each organiser's voted meetings, for the
//	             command side's 45-day rule (app.Ledger follows the log with
//	             it, in memory, outside the Runner).
//
// Every history item carries a Stamp: position, event ID, actor ID and role,
// occurred-at and recorded-at. Queries take a View: Public leaves out what
// only auditors may see (docs/read-models.md lists it), Auditor shows it.
//
// # Running them
//
// They are projections for a projections.Runner:
//
//	runner, err := projections.NewRunner(projections.RunnerConfig{
//		Store:       store,
//		Backend:     backend, // nil: in memory; or projections/postgres
//		Projections: readmodels.All(),
//		Publisher:   publisher, // milestone and deadline announcements
//		Topic:       "collabledger-integration",
//	})
//	go runner.Run(ctx)
//
// # Querying them
//
//	p, ok, err := readmodels.Proposal(ctx, runner.Reader(readmodels.TalliesName), "42", readmodels.Public)
//	vote, ok, err := readmodels.Monthly(ctx, runner.Reader(readmodels.TalliesName), "2019-03")
//	list, err := readmodels.Cases(ctx, runner.Reader(readmodels.CaseBoardName), readmodels.CaseFilter{Open: true})
//	c, ok, err := readmodels.Case(ctx, runner.Reader(readmodels.CaseBoardName), "57", readmodels.Public)
//	m, ok, err := readmodels.Meeting(ctx, runner.Reader(readmodels.TranscriptsName), "m-1", readmodels.Auditor)
//	page, ok, err := readmodels.CaseTrail(ctx, runner.Reader(readmodels.TrailName), "57",
//		readmodels.TrailQuery{View: readmodels.Public, Limit: 100})
//
// # As of a point
//
// CaseAsOf folds one case's streams (the case, its meetings and their
// transcripts, its source proposal, the monthly meeting that selected it)
// up to a position, a recorded-at time or an occurred-at time into fresh
// in-memory read models, and the same queries read them:
//
//	snap, err := readmodels.CaseAsOf(ctx, store, runner, "57", readmodels.AsOf{RecordedAt: t})
//	c, ok, err := readmodels.Case(ctx, snap.Reader(readmodels.CaseBoardName), "57", readmodels.Public)
//
// LogAsOf is the same fold over the whole log (O(log): for tests and
// audits that compare the live read models with a fold from scratch). It is
// the only as-of engine.
//
// # One fold, two paths
//
// Trail and Transcripts write their commonest documents straight from the
// event's canonical JSON while catching up (rawjson.go); the as-of fold,
// whose events come decoded, uses the decoded path. The path is the
// projection value's (Trail{} is the Runner's), and a test folds every
// event type of domain.EventTypes both ways and compares the documents.
//
// # Deadlines
//
// Deadlines is the clock half of response deadlines: the server calls
// Check(ctx, now) periodically; it announces responses due soon and
// returns the overdue ones, for which the server issues
// domain.MarkResponseOverdue through the command side.
package readmodels
