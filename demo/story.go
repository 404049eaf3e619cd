package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// The people of the story. Names are invented.
var (
	host      = domain.Actor{ID: "pdis-host-1", Role: domain.RolePDIS}
	staff     = domain.Actor{ID: "pdis-staff-2", Role: domain.RolePDIS}
	steno     = domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	eySec     = domain.Actor{ID: "ey-secretariat-1", Role: domain.RoleSecretariat}
	threshold = domain.DefaultProposalConfig().Threshold
)

func po(id string, m domain.MinistryID) domain.Actor {
	return domain.Actor{ID: id, Role: domain.RolePO, Ministry: m}
}

func official(m domain.MinistryID) domain.Actor {
	return domain.Actor{ID: string(m) + "-official", Role: domain.RoleMinistry, Ministry: m}
}

// poRecord is one PO of the registry: registered in a year, by whom,
// perhaps retired.
type poRecord struct {
	id, name   string
	ministry   domain.MinistryID
	role       domain.PORole
	registered string // "2006-01-02 15:04"
	by         domain.Actor
	retired    string // "" if serving
	reason     string
}

var pos = []poRecord{
	{id: "po-moj-chief", name: "法務部主任PO 林雅婷", ministry: "moj", role: domain.POChief, registered: "2019-01-07 10:00", by: host},
	{id: "po-moi-chief", name: "內政部主任PO 王志明", ministry: "moi", role: domain.POChief, registered: "2019-01-07 10:00", by: host},
	{id: "po-mohw-chief", name: "衛福部主任PO 張淑芬", ministry: "mohw", role: domain.POChief, registered: "2019-01-07 10:00", by: host},
	{id: "po-moea-chief", name: "經濟部主任PO 李建宏", ministry: "moea", role: domain.POChief, registered: "2019-01-07 10:00", by: host},
	{id: "po-moea-unit", name: "經濟部PO 黃美玲", ministry: "moea", role: domain.POUnit, registered: "2019-01-08 14:00", by: po("po-moea-chief", "moea"),
		retired: "2022-06-30 17:00", reason: "調任其他職務"},
	{id: "po-nhia-unit", name: "健保署PO 吳佳蓉", ministry: "mohw-nhia", role: domain.POUnit, registered: "2019-01-09 09:30", by: po("po-mohw-chief", "mohw")},
	{id: "po-moi-unit", name: "內政部PO 陳冠宇", ministry: "moi", role: domain.POUnit, registered: "2021-01-11 10:00", by: po("po-moi-chief", "moi")},
	{id: "po-moea-unit2", name: "經濟部PO 蔡宗翰", ministry: "moea", role: domain.POUnit, registered: "2022-07-04 10:00", by: po("po-moea-chief", "moea")},
	{id: "po-moenv-chief", name: "環境部主任PO 周文傑", ministry: "moenv", role: domain.POChief, registered: "2023-08-28 10:00", by: host},
}

func poActor(id string) domain.Actor {
	for _, p := range pos {
		if p.id == id {
			return po(p.id, p.ministry)
		}
	}
	panic("demo: no PO " + id)
}

// write writes the whole story.
func (s *script) write() error {
	s.registry()
	s.proposalsStory()
	s.monthly2024()
	if err := s.showcaseCase(); err != nil {
		return err
	}
	s.monthly2026()
	s.researchCase()
	s.assignmentCase()
	return nil
}

func (s *script) registry() {
	for _, m := range []domain.RegisterMinistry{
		{MinistryID: "moj", Name: "法務部"},
		{MinistryID: "moi", Name: "內政部"},
		{MinistryID: "mohw", Name: "衛生福利部"},
		{MinistryID: "mohw-nhia", Name: "中央健康保險署", Parent: "mohw"},
		{MinistryID: "moea", Name: "經濟部"},
	} {
		s.do(at("2019-01-07 09:00"), host, m)
	}
	s.do(at("2023-08-22 09:00"), host, domain.RegisterMinistry{MinistryID: "moenv", Name: "環境部"})
	for _, p := range pos {
		reg := at(p.registered)
		s.do(reg, p.by, domain.RegisterPO{POID: p.id, Name: p.name, Ministry: p.ministry, Role: p.role, Year: reg.Year()})
		end := 2026
		if p.retired != "" {
			s.do(at(p.retired), p.by, domain.RetirePO{POID: p.id, Reason: p.reason})
			end = at(p.retired).Year()
		}
		// Registration is yearly: renewed on the first working day after
		// 6 January.
		for y := reg.Year() + 1; y <= end; y++ {
			d := s.cal.AddWorkingDays(calendar.NewDate(y, time.January, 6), 1)
			s.do(d.Start().Add(9*time.Hour+30*time.Minute), host, domain.RenewPO{POID: p.id, Year: y})
		}
	}
}

func (s *script) proposer(n int) domain.Actor {
	return domain.Actor{ID: string(s.ledger.Pseudonym(fmt.Sprintf("demo-proposer-%d", n))), Role: domain.RoleProposer}
}

func (s *script) proposalsStory() {
	s.proposals = []domain.ProposalID{MarkerProposal, ProposalLateResponse, ProposalExpired, ProposalCollecting, ProposalSubmitted}

	// demo-p1: a fast start, press coverage in the third week, established
	// on day 20 and answered on time.
	p1 := MarkerProposal
	s.do(at("2024-01-15 10:12"), s.proposer(1), domain.SubmitProposal{ProposalID: p1, Title: "以循環杯取代一次性飲料杯",
		Summary: "建議推動跨品牌循環杯租借與歸還網絡，減少一次性飲料杯。Proposal: a cross-brand reusable-cup network for take-away drinks."})
	pub1 := at("2024-01-22 10:00")
	s.do(pub1, host, domain.PublishProposal{ProposalID: p1, CompetentMinistry: "moenv"})
	s.addCurve(curve{pid: p1, published: pub1, counts: dailyCounts(burst(4, 0.12, 15, 0.5), 60, 5400, threshold, 20), firstSigner: 0})
	s.do(at("2024-02-20 10:00"), staff, domain.InvalidateSignature{ProposalID: p1, SignatureID: domain.SignatureIDFor(p1, s.citizen(17)),
		Reason: "身分驗證紀錄異常，經查核後註銷此筆連署"})
	s.do(at("2024-03-28 15:00"), official("moenv"), domain.RespondToProposal{ProposalID: p1,
		Summary: "環境部肯定提案方向，將研議循環杯共通規格與補助機制，並提請 PO 月會列為協作議題。",
		Link:    "https://example.org/demo/responses/demo-p1"})

	// demo-p2: a slow start and a late surge, established on 23 September
	// 2024; due 23 November, extended to 23 January, then missed.
	p2 := ProposalLateResponse
	s.do(at("2024-08-19 20:40"), s.proposer(2), domain.SubmitProposal{ProposalID: p2, Title: "長照交通接送服務跨縣市預約",
		Summary: "長照交通接送應可跨縣市預約，不必每個縣市各申請一次。Long-term-care transport should be bookable across county lines."})
	pub2 := at("2024-08-26 10:00")
	s.do(pub2, host, domain.PublishProposal{ProposalID: p2, CompetentMinistry: "mohw"})
	surge := func(d int) float64 { x := float64(d - 22); return 0.35 + 1.4*expNeg(x*x/18) + 0.5*expNeg(float64(d)/3) }
	s.addCurve(curve{pid: p2, published: pub2, counts: dailyCounts(surge, 60, 5150, threshold, 28), firstSigner: 3000})
	s.do(at("2024-11-15 11:00"), official("mohw"), domain.ExtendResponseDeadline{ProposalID: p2, NewDueDate: calendar.MustParseDate("2025-01-23"),
		Reason: "涉及各縣市交通接送資源盤點，依規定公告延長回應期限"})
	s.do(at("2025-01-24 09:00"), staff, domain.MarkResponseOverdue{ProposalID: p2})
	s.do(at("2025-02-05 16:30"), official("mohw"), domain.RespondToProposal{ProposalID: p2,
		Summary: "衛福部將與地方政府建立跨縣市預約介接，2025 年下半年先於北部區域試行。",
		Link:    "https://example.org/demo/responses/demo-p2"})

	// demo-p3: interest fades; expired below the threshold.
	p3 := ProposalExpired
	s.do(at("2025-02-24 13:05"), s.proposer(3), domain.SubmitProposal{ProposalID: p3, Title: "統一各縣市機車停車格收費方式",
		Summary: "各縣市機車停車收費方式不一，建議訂定共通原則。Scooter parking fees should follow common rules across cities."})
	pub3 := at("2025-03-03 10:00")
	s.do(pub3, host, domain.PublishProposal{ProposalID: p3, CompetentMinistry: "moi"})
	s.addCurve(curve{pid: p3, published: pub3, counts: dailyCounts(burst(6, 0.2, 30, 0.3), 60, 1850, threshold, -1), firstSigner: 8000})
	s.do(at("2025-05-02 10:30"), host, domain.ExpireProposal{ProposalID: p3})

	// demo-p4: published 18 days ago, still collecting; demo-p5 just
	// submitted.
	today := calendar.DateOf(s.now).Start()
	pub4 := today.AddDate(0, 0, -18).Add(10 * time.Hour)
	s.do(pub4.AddDate(0, 0, -6).Add(11*time.Hour+15*time.Minute), s.proposer(4), domain.SubmitProposal{ProposalID: ProposalCollecting, Title: "法律扶助申請全程線上化",
		Summary: "法律扶助的申請、補件與進度查詢應可全程線上辦理。Legal-aid applications should be possible entirely online."})
	s.do(pub4, host, domain.PublishProposal{ProposalID: ProposalCollecting, CompetentMinistry: "moj"})
	s.addCurve(curve{pid: ProposalCollecting, published: pub4, counts: dailyCounts(burst(5, 0.25, 9, 0.4), 17, 1250, threshold, -1), firstSigner: 9500})
	s.do(today.AddDate(0, 0, -3).Add(14*time.Hour+20*time.Minute), s.proposer(5), domain.SubmitProposal{ProposalID: ProposalSubmitted, Title: "公有市場攤商全面支援電子支付",
		Summary: "輔導公有市場攤商導入電子支付。Help stallholders in public markets accept electronic payment."})
}

func (s *script) monthly2024() {
	id := MonthlyMeeting
	s.monthlies = append(s.monthlies, id)
	s.do(at("2024-04-01 09:00"), host, domain.OpenMonthlyMeeting{MeetingID: id, HeldOn: calendar.MustParseDate("2024-04-10")})
	s.do(at("2024-04-01 10:00"), host, domain.AddCandidate{MeetingID: id, CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "以循環杯取代一次性飲料杯", Organiser: "moenv", SourceRef: string(MarkerProposal)})
	s.do(at("2024-04-02 14:00"), poActor("po-mohw-chief"), domain.AddCandidate{MeetingID: id, CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "長照服務資源地圖整合", Organiser: "mohw"})
	s.do(at("2024-04-03 10:00"), host, domain.AddCandidate{MeetingID: id, CandidateID: "c3", Kind: domain.CandidatePDISProposal, Title: "政府網站易讀版指引", Organiser: "moi"})
	s.do(at("2024-04-03 11:00"), eySec, domain.AddCandidate{MeetingID: id, CandidateID: "c4", Kind: domain.CandidateEYAssignment, Title: "新住民數位服務一站式入口", Organiser: "moi", SourceRef: "EY-113-0031"})
	for i, b := range []struct {
		po      string
		choices []domain.CandidateID
	}{
		{"po-moj-chief", []domain.CandidateID{"c1", "c4"}},
		{"po-moi-unit", []domain.CandidateID{"c4"}},
		{"po-mohw-chief", []domain.CandidateID{"c2", "c1"}},
		{"po-moea-unit2", []domain.CandidateID{"c1", "c2"}},
		{"po-moenv-chief", []domain.CandidateID{"c1", "c2"}},
	} {
		s.do(at("2024-04-10 14:30").Add(time.Duration(i*3)*time.Minute), poActor(b.po), domain.CastBallot{MeetingID: id, Choices: b.choices})
	}
	s.do(at("2024-04-10 16:00"), host, domain.CloseMonthlyMeeting{MeetingID: id})
}

func (s *script) monthly2026() {
	id := MonthlyMeetingRecent
	s.monthlies = append(s.monthlies, id)
	s.do(at("2026-09-30 09:00"), host, domain.OpenMonthlyMeeting{MeetingID: id, HeldOn: calendar.MustParseDate("2026-10-07")})
	s.do(at("2026-09-30 10:00"), host, domain.AddCandidate{MeetingID: id, CandidateID: "d1", Kind: domain.CandidateEstablishedProposal, Title: "長照交通接送服務跨縣市預約", Organiser: "mohw", SourceRef: string(ProposalLateResponse)})
	s.do(at("2026-10-01 10:00"), host, domain.AddCandidate{MeetingID: id, CandidateID: "d2", Kind: domain.CandidatePDISProposal, Title: "青年參與氣候調適行動", Organiser: "moenv"})
	s.do(at("2026-10-02 15:00"), poActor("po-moea-chief"), domain.AddCandidate{MeetingID: id, CandidateID: "d3", Kind: domain.CandidateMinistryProposal, Title: "中小企業數位轉型補助申請簡化", Organiser: "moea"})
	for i, b := range []struct {
		po      string
		choices []domain.CandidateID
	}{
		{"po-moj-chief", []domain.CandidateID{"d1"}},
		{"po-moi-chief", []domain.CandidateID{"d1", "d3"}},
		{"po-nhia-unit", []domain.CandidateID{"d1"}},
		{"po-moea-chief", []domain.CandidateID{"d3", "d1"}},
		{"po-moenv-chief", []domain.CandidateID{"d1", "d2"}},
	} {
		s.do(at("2026-10-07 14:30").Add(time.Duration(i*4)*time.Minute), poActor(b.po), domain.CastBallot{MeetingID: id, Choices: b.choices})
	}
	s.do(at("2026-10-07 16:00"), host, domain.CloseMonthlyMeeting{MeetingID: id})
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func expNeg(x float64) float64 { return math.Exp(-x) }
