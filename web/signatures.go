package web

// The staff's list of a proposal's signatures (GET
// /admin/proposals/{id}/signatures), from which a signature is invalidated
// without typing its ID: a page at a time (a proposal may have ~80,000),
// by time, from a date and time to another, or by the first characters of
// the signer's pseudonym. Staff see pseudonyms, never identities (the
// ledger has none); public pages show neither. Each valid signature links
// to the invalidation form with it chosen.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/readmodels"
)

// SignaturesView is the data of the staff's signature list.
type SignaturesView struct {
	ProposalID, Title string
	// Signer, From and To are the search as asked.
	Signer, From, To string
	Rows             []SignatureRow
	// Next is the next page's URL ("" at the end).
	Next string
}

// SignatureRow is one signature of the list.
type SignatureRow struct {
	ID, Signer, Short, County string
	At                        time.Time
	// Invalid, InvalidatedAt and Reason are set for an invalidated
	// signature.
	Invalid       bool
	InvalidatedAt time.Time
	Reason        string
	// Invalidate is the invalidation form's URL with it chosen.
	Invalidate string
}

// signatureTime reads a date (the day's start, Taipei) or a
// datetime-local (Taipei).
func signatureTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", v, calendar.Taipei); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", v, calendar.Taipei)
}

func (s *server) signaturesPage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	if sess.actor.Role != domain.RolePDIS {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, "signatures.staff_only", "the signatures are for PDIS staff", "連署清單僅限 PDIS 工作人員"))
		return
	}
	if s.cfg.Queries == nil {
		s.pageError(w, r, p, errNoReadModels)
		return
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	id := r.PathValue("id")
	q := r.URL.Query()
	v := SignaturesView{ProposalID: id, Signer: strings.ToLower(strings.TrimSpace(q.Get("signer"))), From: q.Get("from"), To: q.Get("to")}
	pr, ok, err := readmodels.Proposal(ctx, s.cfg.Queries.Reader(readmodels.TalliesName), domain.ProposalID(id), readmodels.Public)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	if !ok {
		s.pageError(w, r, p, notFound("proposal "+id))
		return
	}
	v.Title = pr.Title
	sq := readmodels.SignatureQuery{SignerPrefix: v.Signer, After: q.Get("after"), Limit: 50}
	var bad []string
	if sq.From, err = signatureTime(v.From); err != nil {
		bad = append(bad, "from")
	}
	if sq.To, err = signatureTime(v.To); err != nil {
		bad = append(bad, "to")
	}
	page, err := readmodels.SignaturesOf(ctx, s.cfg.Queries.Reader(readmodels.SignaturesName), domain.ProposalID(id), sq)
	if errors.Is(err, readmodels.ErrBadSignatureQuery) {
		bad, err = append(bad, "signer"), nil
	}
	if len(bad) > 0 {
		e := badRequest("signatures: " + strings.Join(bad, ", ") + ": a pseudonym prefix is lower-case hex; times are dates (2026-01-02) or date and time (2026-01-02T15:04)").
			zh("連署查詢：" + strings.Join(bad, "、") + "：假名前綴須為小寫十六進位；時間須為日期（2026-01-02）或日期與時間（2026-01-02T15:04）")
		s.pageError(w, r, p, e)
		return
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	for _, sg := range page.Signatures {
		row := SignatureRow{ID: sg.SignatureID, Signer: sg.Signer, Short: shortPseudonym(sg.Signer), At: sg.OccurredAt}
		if sg.County != "" {
			row.County = countyName(p, sg.County)
		}
		if inv := sg.Invalidated; inv != nil {
			row.Invalid, row.InvalidatedAt, row.Reason = true, inv.OccurredAt, inv.Reason
		} else {
			row.Invalidate = "/act/" + domain.CmdInvalidateSignature + "?" + url.Values{"proposalId": {id}, "signatureId": {sg.SignatureID}}.Encode()
		}
		v.Rows = append(v.Rows, row)
	}
	if page.Next != "" {
		nq := url.Values{"after": {page.Next}}
		for _, k := range []string{"signer", "from", "to"} {
			if x := q.Get(k); x != "" {
				nq.Set(k, x)
			}
		}
		v.Next = r.URL.Path + "?" + nq.Encode()
	}
	p.Title = p.TF("signatures.title", pr.Title)
	p.Data = v
	s.renderForms(w, r, "signatures", p)
}
