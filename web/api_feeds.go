package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
)

// The Join feed.
//
//	POST /api/v1/feeds/join     JSON Lines: proposals and their signature rows
//
// The caller is an integration's staff token (role pdis). The body is JSON
// Lines in the Join dataset's shape (see join.DecodeFeed): each proposal as
// a line of proposals.jsonl, followed by its signature rows. The whole body
// is read and checked first: a bad line refuses it (400, code bad_record,
// naming the line) and nothing is recorded. Each proposal is then recorded
// through the command side, only what its stream does not hold yet (sending
// the same feed again records nothing); the signer's pseudonym is derived
// here, from Join's row number, with the server's secret. The answer says
// per proposal what was recorded, what the domain refused and why.

// JoinFeedPath is the Join feed's route.
const JoinFeedPath = "/api/v1/feeds/join"

// CodeBadRecord: a line of a feed is not a record of its shape (400); the
// message names the line.
const CodeBadRecord = "bad_record"

// RuleFeedStaffOnly refuses a feed from a token that is not staff's.
const RuleFeedStaffOnly = "api.feed.staff_only"

// defaultMaxFeedBytes bounds a feed's body (a proposal with 40,000
// signature rows is about 4 MB).
const defaultMaxFeedBytes = 64 << 20

// JoinImporter records Join's records; *join.Importer is one.
type JoinImporter interface {
	Import(ctx context.Context, p *join.Proposal, sigs []join.Signature, source string) join.Outcome
}

// FeedResult is the answer to a feed.
type FeedResult struct {
	// Events and Signatures are how many were stored by this request.
	Events     int `json:"events"`
	Signatures int `json:"signatures"`
	// Proposals says per proposal, in the feed's order, what happened.
	Proposals []FeedProposal `json:"proposals"`
}

// FeedProposal is what a feed did to one proposal.
type FeedProposal struct {
	ID          string `json:"id"`
	Line        int    `json:"line"`
	Events      int    `json:"events"`
	Signatures  int    `json:"signatures"`
	Present     int    `json:"alreadyRecorded"`
	Established bool   `json:"established,omitempty"`
	// Responded: a lead ministry's response was recorded.
	Responded bool `json:"responded,omitempty"`
	// Responses counts the responses recorded: the lead ministries' own
	// (LeadResponses, one per lead, decision 0048) and the further ones.
	Responses     int  `json:"responses,omitempty"`
	LeadResponses int  `json:"leadResponses,omitempty"`
	Extended      bool `json:"deadlineExtended,omitempty"`
	Expired       bool `json:"expired,omitempty"`
	// LateRows counts the rows made after signing closed that this request
	// recorded, as runs of consecutive rows (LateRuns, "first–last");
	// LateRowsPresent those an earlier feed or import recorded (decision
	// 0056). Neither is a signature.
	LateRows        int      `json:"lateRows,omitempty"`
	LateRuns        []string `json:"lateRuns,omitempty"`
	LateRowsPresent int      `json:"lateRowsAlreadyRecorded,omitempty"`
	// SignatureListMissing: the record has no signature list, and this
	// request recorded that as a fact (decision 0056).
	SignatureListMissing bool           `json:"signatureListMissing,omitempty"`
	Refused              map[string]int `json:"refusedByRule,omitempty"`
	Warnings             []string       `json:"warnings,omitempty"`
	// ErrorCode and Error say why the proposal was not recorded, as an
	// ErrorBody would (rule_violated, unavailable, …).
	ErrorCode string `json:"errorCode,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (s *server) registerFeeds(handle func(string, http.HandlerFunc)) {
	if s.cfg.JoinFeed == nil {
		return
	}
	handle("POST "+JoinFeedPath, s.joinFeed)
}

func (s *server) joinFeed(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.FeedTimeout)
	defer cancel()
	res, err := s.recordFeed(ctx, w, r)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	status := http.StatusOK
	if res.Events > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
}

func (s *server) recordFeed(ctx context.Context, w http.ResponseWriter, r *http.Request) (FeedResult, error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return FeedResult{}, err
	}
	if actor.Role != domain.RolePDIS {
		return FeedResult{}, &apiError{status: http.StatusForbidden, detail: ErrorDetail{Code: CodeForbidden, Rule: RuleFeedStaffOnly, Message: "a feed is sent with an integration's staff token"}, msgZH: "資料饋送須以整合用的工作人員權杖送出"}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/jsonl" && mt != "application/x-ndjson" && mt != "application/json-seq" && mt != "application/json") {
		return FeedResult{}, newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "send the feed as Content-Type: application/jsonl").zh("請以 Content-Type: application/jsonl 送出資料饋送")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxFeedBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return FeedResult{}, newAPIError(http.StatusRequestEntityTooLarge, CodeTooLarge, "the feed is over the limit of "+byteSize(tooLarge.Limit)+"; send it in parts").zh("資料饋送超過上限 " + byteSize(tooLarge.Limit) + "，請分批送出")
		}
		return FeedResult{}, &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Code: CodeBadRequest, Message: "could not read the body"}, msgZH: "無法讀取請求內容", cause: err}
	}
	if off := invalidUTF8(body); off >= 0 {
		return FeedResult{}, newAPIError(http.StatusBadRequest, CodeInvalidUTF8, "the body is not UTF-8 at byte "+itoa(int64(off))).zh("內容在第 " + itoa(int64(off)) + " 個位元組不是 UTF-8")
	}
	recs, err := join.DecodeFeed(bytes.NewReader(body), "feed")
	if err != nil {
		return FeedResult{}, &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Code: CodeBadRecord, Message: err.Error()}, msgZH: "資料饋送有一筆紀錄無法讀取（" + err.Error() + "）", cause: err}
	}
	out := FeedResult{Proposals: make([]FeedProposal, 0, len(recs))}
	for _, rec := range recs {
		o := s.cfg.JoinFeed.Import(ctx, rec.Proposal, rec.Signatures, rec.Source("feed"))
		fp := FeedProposal{ID: o.ProposalID, Line: rec.Line, Events: o.Events, Signatures: o.Signatures, Present: o.Present,
			Established: o.Established, Responded: o.Responded, Responses: o.Responses, LeadResponses: o.LeadResponses, Extended: o.Extended, Expired: o.Expired, LateRows: o.Late, LateRuns: o.LateRuns, LateRowsPresent: o.LatePresent,
			SignatureListMissing: o.ListMissing, Refused: o.Refused, Warnings: o.Warnings}
		if o.Err != nil {
			e := classify(o.Err)
			if e.status >= 500 {
				s.cfg.Logger.Error("join feed", "proposal", o.ProposalID, "err", o.Err)
			}
			fp.ErrorCode, fp.Error = e.detail.Code, e.in(apiLang(r)).Message
		}
		out.Events += o.Events
		out.Signatures += o.Signatures
		out.Proposals = append(out.Proposals, fp)
	}
	return out, nil
}
