package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// participant is one person or ministry invited to a meeting.
type participant struct {
	id          domain.ParticipantID
	name        string
	role        domain.ParticipantRole
	ministry    domain.MinistryID
	stakeholder domain.StakeholderID
	// actorID is the person's account, which lets them edit their own words.
	actorID string
	absent  bool
}

// line is one utterance of a transcript: who (a participant ID, "" for
// narration) and the paragraphs. as, if set, is the name the stenographer
// wrote (a misattribution the staff fix later).
type line struct {
	who  domain.ParticipantID
	as   string
	text []string
}

// meetingPlan is one meeting: scheduled, held, noted, recorded.
type meetingPlan struct {
	id        domain.MeetingID
	caseID    domain.CaseID
	kind      domain.MeetingKind
	phase     domain.Phase
	title     string
	scheduled time.Time
	starts    time.Time
	people    []participant
	notes     []domain.AddNote
	lines     []line
	recording string
	// publish is when the transcript is published (zero: not published).
	publish time.Time
	// held is false for a meeting still to come.
	held bool
}

func (p meetingPlan) person(id domain.ParticipantID) participant {
	for _, x := range p.people {
		if x.id == id {
			return x
		}
	}
	panic(fmt.Sprintf("demo: meeting %s has no participant %s", p.id, id))
}

// utteranceID is the ID of the n-th line (from 1).
func utteranceID(n int) domain.UtteranceID { return domain.UtteranceID(fmt.Sprintf("u-%02d", n)) }

// meeting adds a meeting's schedule, participants, attendance, notes,
// transcript and recording; it returns when the meeting ends.
func (s *script) meeting(p meetingPlan) time.Time {
	s.meetings = append(s.meetings, p.id)
	s.do(p.scheduled, host, domain.ScheduleMeeting{MeetingID: p.id, CaseID: p.caseID, Kind: p.kind, Phase: p.phase, Title: p.title, StartsAt: p.starts})
	for i, x := range p.people {
		s.do(p.scheduled.Add(time.Duration(i+1)*time.Minute), host, domain.AddParticipant{MeetingID: p.id, ParticipantID: x.id, Name: x.name, Role: x.role, Ministry: x.ministry, StakeholderID: x.stakeholder, Account: x.actorID})
	}
	if !p.held {
		return p.starts
	}
	for _, x := range p.people {
		s.do(p.starts.Add(-10*time.Minute), staff, domain.RecordAttendance{MeetingID: p.id, ParticipantID: x.id, Present: !x.absent})
	}
	end := p.starts.Add(3 * time.Hour)
	for i, n := range p.notes {
		n.MeetingID = p.id
		s.do(p.starts.Add(time.Duration(20+i*9)*time.Minute), host, n)
	}
	if len(p.lines) > 0 {
		s.do(p.starts, steno, domain.StartTranscript{MeetingID: p.id})
		step := min(4*time.Minute, 170*time.Minute/time.Duration(len(p.lines)))
		for i, l := range p.lines {
			u := domain.RecordUtterance{MeetingID: p.id, UtteranceID: utteranceID(i + 1), Kind: domain.UtteranceNarration, Paragraphs: l.text}
			if l.who != "" {
				x := p.person(l.who)
				u.Kind, u.Speaker = domain.UtteranceSpeech, domain.Speaker{ActorID: x.actorID, Name: x.name}
				if l.as != "" {
					u.Speaker = domain.Speaker{Name: l.as}
				}
			}
			s.do(p.starts.Add(time.Duration(i)*step+time.Minute), steno, u)
		}
	}
	s.do(end, host, domain.CloseMeeting{MeetingID: p.id})
	if p.recording != "" {
		s.do(end.Add(2*time.Hour), staff, domain.AddRecording{MeetingID: p.id, RecordingID: "rec-1", Kind: domain.RecordingVideo, URL: p.recording, SHA256: sha("demo recording " + string(p.id))})
	}
	if !p.publish.IsZero() {
		s.do(p.publish, host, domain.PublishTranscript{MeetingID: p.id})
	}
	return end
}

// People of the showcase case's meetings.
var (
	pHost     = participant{id: "host", name: "主持人（PDIS）", role: domain.ParticipantHost, actorID: host.ID}
	pSteno    = participant{id: "steno", name: "速記", role: domain.ParticipantStenographer, actorID: steno.ID}
	pMoenv    = participant{id: "moenv", name: "環境部主任PO 周文傑", role: domain.ParticipantMinistry, ministry: "moenv", actorID: "po-moenv-chief"}
	pMoea     = participant{id: "moea", name: "經濟部PO 蔡宗翰", role: domain.ParticipantMinistry, ministry: "moea", actorID: "po-moea-unit2"}
	pMohw     = participant{id: "mohw", name: "衛福部食品藥物管理署代表", role: domain.ParticipantMinistry, ministry: "mohw"}
	pIndustry = participant{id: "industry", name: "連鎖飲料業者代表", role: domain.ParticipantStakeholder, stakeholder: "s-industry"}
	pOperator = participant{id: "operator", name: "循環杯營運業者代表", role: domain.ParticipantStakeholder, stakeholder: "s-operator"}
	pNGO      = participant{id: "ngo", name: "減塑倡議團體代表", role: domain.ParticipantStakeholder, stakeholder: "s-ngo"}
	pExpert   = participant{id: "expert", name: "Dr. Emma Hughes（循環經濟研究者）", role: domain.ParticipantExpert, stakeholder: "s-academia"}
	pLocal    = participant{id: "local", name: "地方環保局代表", role: domain.ParticipantMinistry, ministry: "moenv", stakeholder: "s-local", absent: true}
)

func (s *script) showcaseCase() error {
	id := ShowcaseCase
	s.cases = append(s.cases, id)
	moenvPO, moeaPO := poActor("po-moenv-chief"), poActor("po-moea-unit2")
	proposer := s.proposer(1)
	pProposer := participant{id: "proposer", name: "提案人", role: domain.ParticipantProposer, stakeholder: "s-proposer", actorID: proposer.ID}

	// Topic set, and the dispute over who leads.
	s.do(at("2024-04-11 10:00"), host, domain.OpenCase{CaseID: id, Title: "以循環杯取代一次性飲料杯", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: MonthlyMeeting, CandidateID: "c1"})
	s.do(at("2024-04-11 10:30"), host, domain.AssignLead{CaseID: id, Ministry: "moea", Reason: "連鎖飲料業由經濟部輔導"})
	s.do(at("2024-04-11 10:31"), host, domain.AddCoOrganiser{CaseID: id, Ministry: "moenv", Reason: "提案的主管機關"})
	s.do(at("2024-04-12 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageDivisionOfLabour, Reason: "召開分工會議"})
	s.do(at("2024-04-16 15:00"), host, domain.AssignLead{CaseID: id, Ministry: "moenv", Reason: "分工會議決定：一次用塑膠減量屬環境部主管業務，改由環境部主辦，經濟部協辦業者輔導"})
	s.do(at("2024-04-16 15:01"), host, domain.AddCoOrganiser{CaseID: id, Ministry: "moea", Reason: "協助輔導連鎖飲料業者"})
	s.do(at("2024-04-16 15:02"), host, domain.AddCoOrganiser{CaseID: id, Ministry: "mohw", Reason: "杯具清洗的食品衛生標準"})

	// Research: the stakeholder inventory, interviews, materials.
	s.do(at("2024-04-18 09:00"), host, domain.ChangeStage{CaseID: id, To: domain.StageResearch, Reason: "分工確定，開始研究與訪談"})
	for i, st := range []domain.AddStakeholder{
		{StakeholderID: "s-proposer", Category: domain.StakeholderProposer, Name: "提案人"},
		{StakeholderID: "s-local", Category: domain.StakeholderGovernment, Name: "地方環保局", Note: "已試辦循環杯的縣市"},
		{StakeholderID: "s-industry", Category: domain.StakeholderIndustry, Name: "連鎖飲料業者"},
		{StakeholderID: "s-operator", Category: domain.StakeholderIndustry, Name: "循環杯營運業者"},
		{StakeholderID: "s-ngo", Category: domain.StakeholderCivilSociety, Name: "減塑倡議團體"},
		{StakeholderID: "s-academia", Category: domain.StakeholderAcademia, Name: "循環經濟研究者"},
		{StakeholderID: "s-consumers", Category: domain.StakeholderAffectedPublic, Name: "外帶飲料消費者", Note: "經線上問卷招募"},
	} {
		st.CaseID = id
		actor := host
		if i%2 == 1 {
			actor = moenvPO
		}
		s.do(at("2024-04-19 10:00").Add(time.Duration(i*5)*time.Minute), actor, st)
	}
	s.do(at("2024-04-24 14:00"), moenvPO, domain.RecordInterview{CaseID: id, InterviewID: "i-1", Stakeholders: []domain.StakeholderID{"s-industry", "s-operator"},
		Summary: "業者關心清洗成本與杯子遺失率；營運業者表示跨品牌歸還是擴大使用的關鍵。"})
	s.do(at("2024-04-26 10:00"), host, domain.RecordInterview{CaseID: id, InterviewID: "i-2", Stakeholders: []domain.StakeholderID{"s-ngo", "s-proposer"},
		Summary: "倡議團體建議以押金制搭配歸還點地圖；提案人希望至少在捷運站設歸還點。"})
	s.do(at("2024-04-30 15:00"), host, domain.RecordInterview{CaseID: id, InterviewID: "i-3", Stakeholders: []domain.StakeholderID{"s-academia", "s-consumers"},
		Summary: "Researchers note that return rates rise when deposits are refunded instantly; consumers ask for return points near transit."})
	s.do(at("2024-05-02 11:00"), official("moenv"), domain.AddMaterial{CaseID: id, MaterialID: "mat-1", Title: "一次用飲料杯使用量推估（2023）",
		SHA256: sha("demo material: cup usage estimate 2023"), URL: "https://example.org/demo/materials/cup-usage-2023.pdf", SuppliedBy: "moenv"})
	s.do(at("2024-05-03 16:00"), official("moea"), domain.AddMaterial{CaseID: id, MaterialID: "mat-2", Title: "連鎖飲料店家數與分布",
		SHA256: sha("demo material: drink chains"), URL: "https://example.org/demo/materials/drink-chains.csv", SuppliedBy: "moea"})

	// Pre-meeting: the agencies agree the core problem and red lines.
	s.do(at("2024-05-06 09:00"), host, domain.ChangeStage{CaseID: id, To: domain.StagePreMeeting, Reason: "研究完成，召開會前會"})
	s.meeting(meetingPlan{id: "demo-case-1-pre", caseID: id, kind: domain.MeetingPreMeeting, title: "循環杯 會前會",
		scheduled: at("2024-05-06 10:00"), starts: at("2024-05-08 14:00"), held: true,
		people: []participant{pHost, pMoenv, pMoea, pMohw},
		notes: []domain.AddNote{
			{NoteID: "n-1", Board: domain.BoardConceptSheet, Sheet: "core", Section: domain.SectionProblem, Text: "外帶杯用完即丟，回收再利用率低"},
			{NoteID: "n-2", Board: domain.BoardConceptSheet, Sheet: "core", Section: domain.SectionRisk, Text: "紅線：不得增加小型店家的強制成本"},
		}})

	// Three collaborative meetings: discover, define, develop.
	s.do(at("2024-05-09 09:00"), host, domain.ChangeStage{CaseID: id, To: domain.StageMeetings, Reason: "會前會確認核心問題，進入協作會議"})
	people := []participant{pHost, pSteno, pProposer, pMoenv, pMoea, pMohw, pIndustry, pOperator, pNGO, pExpert, pLocal}
	// A citizen following online may ask questions: invited with their
	// account, which the ledger keeps only as a keyed digest.
	online := participant{id: "online", name: "線上參與的民眾", role: domain.ParticipantObserver, actorID: string(s.citizen(42))}
	discover := meetingPlan{id: ShowcaseMeeting, caseID: id, kind: domain.MeetingCollaborative, phase: domain.PhaseDiscover,
		title: "循環杯協作會議（一）：發掘問題", scheduled: at("2024-05-09 10:00"), starts: at("2024-05-16 09:30"), held: true, people: append(slices.Clone(people), online),
		recording: "https://example.org/demo/recordings/demo-case-1-discover.mp4",
		publish:   at("2024-05-20 18:00"),
		notes: []domain.AddNote{
			{NoteID: "n-1", Board: domain.BoardMindMap, Text: "外帶飲料杯"},
			{NoteID: "n-2", Board: domain.BoardMindMap, Parent: "n-1", Text: "消費者：杯子要還到哪裡？"},
			{NoteID: "n-3", Board: domain.BoardMindMap, Parent: "n-1", Text: "店家：清洗人力與空間"},
			{NoteID: "n-4", Board: domain.BoardMindMap, Parent: "n-3", Text: "業者覺得被當成問題來源"},
			{NoteID: "n-5", Board: domain.BoardMindMap, Parent: "n-1", Text: "押金多少才會記得還"},
			{NoteID: "n-6", Board: domain.BoardMindMap, Parent: "n-1", Text: "Return points near MRT stations"},
		},
		lines: []line{
			{who: "host", text: []string{"各位早安，今天是循環杯協作會議的第一場，我們先不談解法，先把大家遇到的問題攤開來。"}},
			{who: "host", text: []string{"提醒大家，會議全程錄影並有逐字紀錄，會後十個工作天內，各位可以修訂自己的發言。"}},
			{who: "proposer", text: []string{"我每天買兩杯飲料，一年就是七百多個杯子。我想要的很簡單：在甲店借的杯子，可以在乙店還。"}},
			{who: "moenv", text: []string{"環境部這邊補充數據：外帶飲料杯一年估計有十億個以上，目前回收後能再利用的比例不高。"}},
			{who: "industry", text: []string{"業者不是反對，而是擔心清洗的人力和空間。尖峰時段店裡連站的地方都沒有。"}},
			{who: "mohw", as: "經濟部PO 蔡宗翰", text: []string{"杯具重複使用，清洗和消毒一定要有標準，我們可以提供食品器具的衛生參考。"}},
			{who: "operator", text: []string{"我們在兩個城市試營運，杯子遺失率大約一成，跨品牌歸還是把遺失率降下來的關鍵。"}},
			{who: "expert", text: []string{"In the cities I have studied, people return cups when the deposit comes back instantly, not at the end of the month."}},
			{who: "ngo", text: []string{"我們建議先有一張歸還點地圖，讓大家知道哪裡可以還。"}},
			{who: "moea", text: []string{"經濟部可以協助盤點連鎖業者的意願，先從大型連鎖品牌開始。"}},
			{text: []string{"（現場分組討論，未使用麥克風）"}},
			{who: "host", text: []string{"謝謝大家，剛才白板上的「業者覺得被當成問題來源」，業者代表提醒這句是斷章取義，我們會移除並記下原因。"}},
		}}
	end := s.meeting(discover)
	s.do(end.Add(-90*time.Minute), host, domain.ReviseNote{MeetingID: ShowcaseMeeting, NoteID: "n-5", Text: "押金多少、多快退還，才會記得還", Reason: "依專家發言補充退還速度"})
	s.do(end.Add(-80*time.Minute), host, domain.RemoveNote{MeetingID: ShowcaseMeeting, NoteID: "n-4", Reason: "業者代表指出此便利貼斷章取義，經現場同意移除"})
	citizen := domain.Actor{ID: string(s.citizen(42)), Role: domain.RoleCitizen}
	for i, q := range []struct {
		asker  domain.Actor
		id     domain.QuestionID
		text   string
		answer string
		reason string
	}{
		{citizen, "q-1", "押金大概會是多少？", "目前試辦的押金在 30 到 50 元之間，下一場會議會討論。", ""},
		{moeaPO, "q-2", "Can one cup be returned at any brand's shop?", "That is the goal of a shared network; the define meeting will work on it.", ""},
		{citizen, "q-3", "押金會是多少錢？", "", "與第 1 題重複"},
		{s.proposer(1), "q-4", "今天的便當是哪一家？", "", "與議題無關"},
	} {
		t := discover.starts.Add(time.Duration(60+i*10) * time.Minute)
		s.do(t, q.asker, domain.PostQuestion{MeetingID: ShowcaseMeeting, QuestionID: q.id, Text: q.text})
		if q.answer != "" {
			s.do(t.Add(5*time.Minute), host, domain.AnswerQuestion{MeetingID: ShowcaseMeeting, QuestionID: q.id, Answer: q.answer})
		} else {
			s.do(t.Add(5*time.Minute), host, domain.ArchiveQuestion{MeetingID: ShowcaseMeeting, QuestionID: q.id, Reason: q.reason})
		}
	}
	// After publication: speakers edit their own words within 10 working
	// days; staff revert an edit that changed the meaning and fix a
	// misattributed speaker.
	closes := s.cal.WindowEnd(discover.publish, domain.DefaultTranscriptConfig().EditWindowWorkingDays)
	edits := []struct {
		at    time.Time
		actor domain.Actor
		cmd   domain.Command
	}{
		{at("2024-05-21 10:00"), host, domain.ReattributeSpeaker{MeetingID: ShowcaseMeeting, UtteranceID: utteranceID(6), Speaker: domain.Speaker{Name: pMohw.name}, Reason: "速記誤植發言者，經錄影確認為衛福部代表"}},
		{at("2024-05-22 20:15"), moenvPO, domain.EditUtterance{MeetingID: ShowcaseMeeting, UtteranceID: utteranceID(4), Paragraphs: []string{"環境部補充數據：外帶飲料杯一年估計超過十億個，回收後能再利用的比例仍低。"}}},
		{at("2024-05-24 11:40"), proposer, domain.EditUtterance{MeetingID: ShowcaseMeeting, UtteranceID: utteranceID(3), Paragraphs: []string{"我每天買兩杯飲料，一年就是七百多個杯子。我希望在甲店借的杯子，可以在乙店歸還。"}}},
		{at("2024-05-27 09:20"), moeaPO, domain.EditUtterance{MeetingID: ShowcaseMeeting, UtteranceID: utteranceID(10), Paragraphs: []string{"經濟部將要求所有連鎖業者於年底前加入。"}}},
		{at("2024-05-28 14:00"), host, domain.RevertEdit{MeetingID: ShowcaseMeeting, UtteranceID: utteranceID(10), ToVersion: 1, Reason: "修訂內容改變原發言語意（新增現場未提的承諾），回復為逐字紀錄版本"}},
	}
	for _, e := range edits {
		if _, ok := e.cmd.(domain.EditUtterance); ok && !e.at.Before(closes) {
			return fmt.Errorf("demo: an edit at %s falls after the edit window closing %s", e.at, closes)
		}
		s.do(e.at, e.actor, e.cmd)
	}

	s.meeting(meetingPlan{id: "demo-case-1-define", caseID: id, kind: domain.MeetingCollaborative, phase: domain.PhaseDefine,
		title: "循環杯協作會議（二）：定義問題", scheduled: at("2024-06-20 10:00"), starts: at("2024-07-04 09:30"), held: true, people: people,
		recording: "https://example.org/demo/recordings/demo-case-1-define.mp4", publish: at("2024-07-08 18:00"),
		notes: []domain.AddNote{
			{NoteID: "n-1", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionProblem, Text: "借杯容易、還杯難"},
			{NoteID: "n-2", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionSubProblem, Text: "各品牌歸還點不互通"},
			{NoteID: "n-3", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionSubProblem, Text: "押金退還太慢"},
			{NoteID: "n-4", Board: domain.BoardConceptSheet, Sheet: "B", Section: domain.SectionProblem, Text: "清洗標準不明確，店家不敢收"},
		},
		lines: []line{
			{who: "host", text: []string{"上一場我們列出了很多問題，今天要收斂成兩到三個核心問題。"}},
			{who: "operator", text: []string{"我們建議把「還杯難」列為第一個核心問題。"}},
			{who: "mohw", text: []string{"清洗標準我們可以先出參考指引，讓店家有依據。"}},
			{who: "expert", text: []string{"Define the problem from the returner's side: where am I, and how far is the nearest return point?"}},
			{who: "host", text: []string{"好，今天收斂為兩張概念發展表：還杯網絡與清洗標準。"}},
		}})
	s.meeting(meetingPlan{id: "demo-case-1-develop", caseID: id, kind: domain.MeetingCollaborative, phase: domain.PhaseDevelop,
		title: "循環杯協作會議（三）：發展解方", scheduled: at("2024-08-08 10:00"), starts: at("2024-08-22 09:30"), held: true, people: people,
		recording: "https://example.org/demo/recordings/demo-case-1-develop.mp4", publish: at("2024-08-26 18:00"),
		notes: []domain.AddNote{
			{NoteID: "n-1", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionProblem, Text: "還杯難"},
			{NoteID: "n-2", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionSolution, Text: "跨品牌共通歸還點與即時退押金"},
			{NoteID: "n-3", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionRisk, Text: "小店家負擔清洗成本"},
			{NoteID: "n-4", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionOvercome, Text: "由營運業者集中清洗"},
			{NoteID: "n-5", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionResponsibleUnit, Text: "環境部（主辦）、經濟部（業者輔導）"},
			{NoteID: "n-6", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionVision, Text: "2030 年外帶杯半數可循環"},
		},
		lines: []line{
			{who: "host", text: []string{"今天是最後一場，目標是形成給院長的建議。提醒大家，協作會議產出的是建議，不是決定。"}},
			{who: "moenv", text: []string{"環境部可以先訂共通規格，讓不同業者的杯子可以互收。"}},
			{who: "moea", text: []string{"輔導業者加入網絡沒問題，但要求全部業者加入，需要更多時間評估。"}},
			{who: "ngo", text: []string{"我們仍然希望一次用杯收費，但理解需要配套。"}},
			{who: "host", text: []string{"謝謝大家，我們整理出五項建議，會後送請各部會回應。"}},
		}})

	// Recommendations, the report, the directive, the responses.
	recs := []struct {
		id      domain.RecommendationID
		text    string
		to      domain.MinistryID
		verdict domain.Verdict
		reasons string
		follow  string
		at      string
	}{
		{"r-1", "訂定循環杯共通規格，使各品牌杯具可互相歸還", "moenv", domain.VerdictAdopted, "已納入一次用產品源頭減量政策", "2025 年於兩個直轄市試辦跨品牌歸還網絡", "2024-10-15 10:00"},
		{"r-2", "輔導連鎖飲料業者加入跨品牌歸還網絡", "moea", domain.VerdictPartly, "先輔導大型連鎖品牌，中小型店家另案評估", "2025 年上半年召開業者說明會", "2024-10-22 15:00"},
		{"r-3", "一次用飲料杯全面收費", "moenv", domain.VerdictNotAdopted, "衝擊面大，先以循環杯優惠誘因推動，再視成效評估", "", "2024-10-30 11:00"},
		{"r-4", "押金與電子支付整合，歸還即退", "moea", domain.VerdictDeferred, "須與金融主管機關研議，列入下一年度工作計畫", "2025 年底前提出可行性評估", "2024-11-12 16:00"},
		{"r-5", "公告循環杯具清洗衛生參考指引", "mohw", domain.VerdictAdopted, "已完成草案並徵詢業者意見", "2025 年 3 月公告", "2024-11-20 10:00"},
	}
	for i, r := range recs {
		s.do(at("2024-08-29 10:00").Add(time.Duration(i)*time.Minute), host, domain.RecordRecommendation{CaseID: id, RecommendationID: r.id, MeetingID: "demo-case-1-develop", Text: r.text, Addressees: []domain.MinistryID{r.to}})
	}
	s.do(at("2024-09-12 10:00"), host, domain.ReportToPremier{CaseID: id, Summary: "三場協作會議形成五項建議，涉及環境部、經濟部、衛福部。", Link: "https://example.org/demo/reports/demo-case-1.pdf"})
	s.do(at("2024-09-26 17:00"), eySec, domain.RecordDirective{CaseID: id, Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸職權辦理，並於三個月內回應各項建議。"})
	for _, r := range recs {
		s.do(at(r.at), official(r.to), domain.RecordResponse{CaseID: id, RecommendationID: r.id, Verdict: r.verdict, Reasons: r.reasons, FollowUp: r.follow})
	}
	s.do(at("2025-01-10 10:00"), host, domain.ChangeStage{CaseID: id, To: domain.StageClosed, Reason: "各項建議均已回應，結案並持續追蹤試辦"})
	return nil
}

// researchCase is a case from the October 2026 vote, now in research.
func (s *script) researchCase() {
	id := ResearchCase
	s.cases = append(s.cases, id)
	mohwPO := poActor("po-mohw-chief")
	s.do(at("2026-10-08 10:00"), host, domain.OpenCase{CaseID: id, Title: "長照交通接送服務跨縣市預約", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: MonthlyMeetingRecent, CandidateID: "d1"})
	s.do(at("2026-10-08 10:30"), host, domain.AssignLead{CaseID: id, Ministry: "mohw"})
	s.do(at("2026-10-08 10:31"), host, domain.AddCoOrganiser{CaseID: id, Ministry: "moi", Reason: "地方政府交通資源"})
	s.do(at("2026-10-12 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageDivisionOfLabour, Reason: "召開分工會議"})
	s.do(at("2026-10-19 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageResearch, Reason: "分工確定，開始訪談"})
	for i, st := range []domain.AddStakeholder{
		{StakeholderID: "s-proposer", Category: domain.StakeholderProposer, Name: "提案人"},
		{StakeholderID: "s-counties", Category: domain.StakeholderGovernment, Name: "縣市長照管理中心"},
		{StakeholderID: "s-fleets", Category: domain.StakeholderIndustry, Name: "交通接送服務單位"},
		{StakeholderID: "s-carers", Category: domain.StakeholderAffectedPublic, Name: "家庭照顧者"},
	} {
		st.CaseID = id
		s.do(at("2026-10-20 10:00").Add(time.Duration(i*5)*time.Minute), mohwPO, st)
	}
	s.do(at("2026-11-04 14:00"), mohwPO, domain.RecordInterview{CaseID: id, InterviewID: "i-1", Stakeholders: []domain.StakeholderID{"s-carers"},
		Summary: "照顧者表示跨縣市就醫時，需要分別向兩個縣市申請接送，常來不及。"})
	s.do(at("2026-11-10 11:00"), official("mohw"), domain.AddMaterial{CaseID: id, MaterialID: "mat-1", Title: "各縣市長照交通接送服務量（2025）",
		SHA256: sha("demo material: ltc transport 2025"), URL: "https://example.org/demo/materials/ltc-transport-2025.csv", SuppliedBy: "mohw"})
}

// assignmentCase is a case the Executive Yuan assigned, in the meetings
// stage with a discover meeting held and the next one scheduled.
func (s *script) assignmentCase() {
	id := AssignmentCase
	s.cases = append(s.cases, id)
	s.do(at("2026-08-17 10:00"), eySec, domain.OpenCase{CaseID: id, Title: "災害告警訊息多語化", SourceKind: domain.SourceAssignment, Ref: "EY-115-0087"})
	s.do(at("2026-08-17 10:05"), eySec, domain.AssignLead{CaseID: id, Ministry: "moi"})
	s.do(at("2026-08-18 09:00"), host, domain.AddCoOrganiser{CaseID: id, Ministry: "moenv", Reason: "空氣品質與高溫告警"})
	s.do(at("2026-08-20 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageDivisionOfLabour, Reason: "行政院交辦，召開分工會議"})
	s.do(at("2026-08-27 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageResearch, Reason: "開始盤點利害關係人"})
	for i, st := range []domain.AddStakeholder{
		{StakeholderID: "s-newres", Category: domain.StakeholderCivilSociety, Name: "新住民團體"},
		{StakeholderID: "s-telco", Category: domain.StakeholderIndustry, Name: "電信業者"},
		{StakeholderID: "s-linguists", Category: domain.StakeholderAcademia, Name: "語言學者"},
	} {
		st.CaseID = id
		s.do(at("2026-08-28 10:00").Add(time.Duration(i*5)*time.Minute), poActor("po-moi-chief"), st)
	}
	s.do(at("2026-09-21 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StagePreMeeting, Reason: "召開會前會"})
	s.do(at("2026-10-05 09:30"), host, domain.ChangeStage{CaseID: id, To: domain.StageMeetings, Reason: "進入協作會議"})
	ppl := []participant{pHost,
		{id: "moi", name: "內政部主任PO 王志明", role: domain.ParticipantMinistry, ministry: "moi", actorID: "po-moi-chief"},
		{id: "moenv", name: "環境部主任PO 周文傑", role: domain.ParticipantMinistry, ministry: "moenv", actorID: "po-moenv-chief"},
		{id: "newres", name: "新住民團體代表", role: domain.ParticipantStakeholder, stakeholder: "s-newres"},
		{id: "telco", name: "電信業者代表", role: domain.ParticipantStakeholder, stakeholder: "s-telco"},
	}
	s.meeting(meetingPlan{id: "demo-case-3-discover", caseID: id, kind: domain.MeetingCollaborative, phase: domain.PhaseDiscover,
		title: "災害告警訊息多語化 協作會議（一）", scheduled: at("2026-10-12 10:00"), starts: at("2026-10-22 14:00"), held: true, people: ppl,
		recording: "https://example.org/demo/recordings/demo-case-3-discover.mp4",
		notes: []domain.AddNote{
			{NoteID: "n-1", Board: domain.BoardMindMap, Text: "告警簡訊只有中文與英文"},
			{NoteID: "n-2", Board: domain.BoardMindMap, Parent: "n-1", Text: "長者與新住民看不懂"},
			{NoteID: "n-3", Board: domain.BoardMindMap, Parent: "n-1", Text: "字數限制"},
		}})
	s.meeting(meetingPlan{id: "demo-case-3-define", caseID: id, kind: domain.MeetingCollaborative, phase: domain.PhaseDefine,
		title: "災害告警訊息多語化 協作會議（二）", scheduled: at("2026-11-16 10:00"), starts: at("2026-12-03 14:00"), people: ppl})
}
