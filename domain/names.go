package domain

import (
	"maps"
	"slices"
)

// Name is what a domain value is called in Traditional Chinese and in
// English. The pages, the reports and the CLI take every name of a stage,
// phase, source, verdict, role or kind from this one catalogue, so that a
// stage is called the same everywhere; what people wrote (titles, speeches,
// reasons) is never named here.
type Name struct {
	// ZH is the Traditional Chinese name, in the words PDIS uses.
	ZH string
	// EN is the English name.
	EN string
}

// Name groups: the first part of a catalogue key "<group>.<value>", one per
// kind of domain value.
const (
	NamesStage     = "stage"     // CaseStage
	NamesSource    = "source"    // CaseSourceKind
	NamesCandidate = "candidate" // CandidateKind
	NamesVerdict   = "verdict"   // Verdict
	NamesDirective = "directive" // DirectiveKind
	NamesStatus    = "status"    // ProposalStatus
	NamesKind      = "kind"      // MeetingKind
	NamesPhase     = "phase"     // Phase
	NamesCategory  = "category"  // StakeholderCategory
	NamesRole      = "role"      // ParticipantRole
	NamesActor     = "actor"     // Role
	NamesPORole    = "po_role"   // PORole
	NamesBoard     = "board"     // Board
	NamesSection   = "section"   // ConceptSection
	NamesRecording = "recording" // RecordingKind
	NamesUtterance = "utterance" // UtteranceKind
	NamesChange    = "change"    // UtteranceVersion.Change (Change* constants)
	NamesReason    = "reason"    // SystemReason
)

// names is the catalogue. Where pages and reports once disagreed, the words
// are those PDIS uses in its own account of the process (the PO training
// transcripts): 設定議題, then 分工, 研究, 會前會, 協作會議, 陳報院長,
// 院長裁示 and 部會回應; the three collaborative meetings of a case are
// 發現問題, 定義問題 and 概念發展 (see docs/decisions, "names").
var names = map[string]Name{
	"stage.topic_set":           {"設定議題", "Topic set"},
	"stage.division_of_labour":  {"分工", "Division of labour"},
	"stage.research":            {"研究", "Research"},
	"stage.pre_meeting":         {"會前會", "Pre-meeting"},
	"stage.meetings":            {"協作會議", "Collaborative meetings"},
	"stage.reported_to_premier": {"陳報院長", "Reported to the Premier"},
	"stage.directive":           {"院長裁示", "Premier's directive"},
	"stage.responses":           {"部會回應", "Ministry responses"},
	"stage.closed":              {"結案", "Closed"},

	"source.voted_topic":   {"PO 月會投票選題", "Topic voted by the PO monthly meeting"},
	"source.ey_assignment": {"行政院交辦", "Executive Yuan assignment"},
	"source.imported":      {"匯入的歷史案件", "Imported historical case"},

	"candidate.established_proposal": {"Join 成案提案", "Established Join proposal"},
	"candidate.ministry_proposal":    {"部會提案", "Ministry proposal"},
	"candidate.pdis_proposal":        {"PDIS 提案", "PDIS proposal"},
	"candidate.ey_assignment":        {"行政院交辦", "Executive Yuan assignment"},

	"verdict.adopted":        {"採納", "Adopted"},
	"verdict.partly_adopted": {"部分採納", "Partly adopted"},
	"verdict.not_adopted":    {"不採納", "Not adopted"},
	"verdict.deferred":       {"暫緩", "Deferred"},

	"directive.within_authority": {"請各部會本於權責辦理", "Ministries act within their authority"},
	"directive.specific":         {"具體指示", "Specific directive"},

	"status.submitted":   {"已提出", "Submitted"},
	"status.published":   {"連署中", "Collecting signatures"},
	"status.established": {"已成案", "Established"},
	"status.expired":     {"未成案", "Expired"},

	"kind.collaborative": {"協作會議", "Collaborative meeting"},
	"kind.pre_meeting":   {"會前會", "Pre-meeting"},
	"kind.working":       {"工作會議", "Working meeting"},
	"kind.other":         {"其他會議", "Other meeting"},
	"kind.po_monthly":    {"PO 月會", "PO monthly meeting"},

	"phase.discover": {"發現問題", "Discover"},
	"phase.define":   {"定義問題", "Define"},
	"phase.develop":  {"概念發展", "Develop"},
	"phase.deliver":  {"傳遞", "Deliver"},

	"category.proposer":        {"提案人", "Proposer"},
	"category.government":      {"政府", "Government"},
	"category.industry":        {"產業", "Industry"},
	"category.civil_society":   {"公民團體", "Civil society"},
	"category.academia":        {"學界", "Academia"},
	"category.affected_public": {"受影響民眾", "Affected public"},
	"category.other":           {"其他", "Other"},

	"role.host":         {"主持團隊", "Host"},
	"role.proposer":     {"提案人", "Proposer"},
	"role.ministry":     {"機關", "Ministry"},
	"role.stakeholder":  {"利害關係人", "Stakeholder"},
	"role.expert":       {"專家", "Expert"},
	"role.observer":     {"觀察員", "Observer"},
	"role.stenographer": {"速記", "Stenographer"},

	"actor.citizen":      {"民眾", "Citizen"},
	"actor.proposer":     {"提案人", "Proposer"},
	"actor.po":           {"PO", "PO"},
	"actor.pdis":         {"PDIS", "PDIS"},
	"actor.stenographer": {"速記", "Stenographer"},
	"actor.secretariat":  {"行政院秘書處", "Executive Yuan secretariat"},
	"actor.ministry":     {"機關", "Ministry"},
	"actor.auditor":      {"稽核", "Auditor"},

	"po_role.chief": {"首席 PO", "Chief PO"},
	"po_role.unit":  {"單位 PO", "Unit PO"},

	"board.mind_map":      {"心智圖", "Mind map"},
	"board.concept_sheet": {"概念發展表", "Concept sheet"},

	"section.problem":          {"問題", "Problem"},
	"section.sub_problem":      {"子問題", "Sub-problems"},
	"section.solution":         {"解決方案", "Solutions"},
	"section.risk":             {"風險與阻礙", "Risks and obstacles"},
	"section.overcome":         {"如何克服", "How to overcome them"},
	"section.responsible_unit": {"負責單位", "Responsible unit"},
	"section.vision":           {"願景", "Vision"},

	"recording.video":      {"錄影", "Video"},
	"recording.livestream": {"直播", "Live stream"},
	"recording.audio":      {"錄音", "Audio"},

	"utterance.speech":    {"發言", "Speech"},
	"utterance.narration": {"旁白", "Narration"},
	"utterance.heading":   {"標題", "Heading"},

	"change.recorded":   {"速記記錄", "Recorded by the stenographer"},
	"change.edited":     {"發言者修改", "Edited by the speaker"},
	"change.corrected":  {"更正", "Corrected"},
	"change.reverted":   {"還原", "Reverted"},
	"change.split":      {"拆分", "Split"},
	"change.merged":     {"合併", "Merged"},
	"change.inserted":   {"插入", "Inserted"},
	"change.normalised": {"格式正規化（全形標點、寬度、空白）", "Normalised (full-width punctuation, width, spacing)"},

	"reason.reported to the Premier":                   {"已陳報院長", "Reported to the Premier"},
	"reason.the Premier's directive":                   {"院長已裁示", "The Premier's directive"},
	"reason.first ministry response":                   {"第一個部會已回應", "First ministry response"},
	"reason.the deadline Join published (advisedTime)": {"Join 平臺公布的回應期限（advisedTime）", "The deadline Join published (advisedTime)"},
}

// NameOf returns the names of value in group (one of the Names* groups),
// and false if the catalogue has none.
func NameOf(group, value string) (Name, bool) {
	n, ok := names[group+"."+value]
	return n, ok
}

// NameKeys returns every key of the catalogue, "<group>.<value>", sorted.
func NameKeys() []string { return slices.Sorted(maps.Keys(names)) }

// Name returns the stage's names.
func (s CaseStage) Name() Name { return names[NamesStage+"."+string(s)] }

// Name returns the phase's names.
func (p Phase) Name() Name { return names[NamesPhase+"."+string(p)] }

// Name returns the meeting kind's names.
func (k MeetingKind) Name() Name { return names[NamesKind+"."+string(k)] }

// Name returns the case source's names.
func (k CaseSourceKind) Name() Name { return names[NamesSource+"."+string(k)] }

// Name returns the candidate kind's names.
func (k CandidateKind) Name() Name { return names[NamesCandidate+"."+string(k)] }

// Name returns the verdict's names.
func (v Verdict) Name() Name { return names[NamesVerdict+"."+string(v)] }

// Name returns the role's names.
func (r Role) Name() Name { return names[NamesActor+"."+string(r)] }

// SystemReason is a reason the system itself writes into an event (a stage
// that follows from a report, a directive or a response; a deadline an
// importer takes from its source), as opposed to the reasons people give.
// Pages show it by its name in their language (NamesReason); a test reads
// every Reason the domain and the importers write from the source and fails
// on a literal that is not one of these.
type SystemReason string

// The system's reasons.
const (
	ReasonReportedToPremier     SystemReason = "reported to the Premier"
	ReasonPremiersDirective     SystemReason = "the Premier's directive"
	ReasonFirstResponse         SystemReason = "first ministry response"
	ReasonJoinPublishedDeadline SystemReason = "the deadline Join published (advisedTime)"
)

// Name returns the reason's names.
func (r SystemReason) Name() Name { return names[NamesReason+"."+string(r)] }

// ReasonName returns the names of reason if the system wrote it, and false
// for a reason a person gave (shown as written).
func ReasonName(reason string) (Name, bool) { return NameOf(NamesReason, reason) }
