package readmodels

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// CountiesName is the name of the Counties projection.
const CountiesName = "counties"

// collCounties holds <proposal id> → CountyTally.
const collCounties = "counties"

// County is one of Taiwan's 22 counties and cities (直轄市、縣、市) as
// they stand since the 2010 and 2014 mergers. Key is its stable name in
// the read model (the id the county map's shape has, web/static).
type County struct {
	Key, ZH, EN string
}

// TaiwanCounties are Taiwan's counties and cities, north to south, then the
// east and the islands.
var TaiwanCounties = []County{
	{"keelung-city", "基隆市", "Keelung City"},
	{"taipei-city", "臺北市", "Taipei City"},
	{"new-taipei-city", "新北市", "New Taipei City"},
	{"taoyuan-city", "桃園市", "Taoyuan City"},
	{"hsinchu-city", "新竹市", "Hsinchu City"},
	{"hsinchu-county", "新竹縣", "Hsinchu County"},
	{"miaoli-county", "苗栗縣", "Miaoli County"},
	{"taichung-city", "臺中市", "Taichung City"},
	{"changhua-county", "彰化縣", "Changhua County"},
	{"nantou-county", "南投縣", "Nantou County"},
	{"yunlin-county", "雲林縣", "Yunlin County"},
	{"chiayi-city", "嘉義市", "Chiayi City"},
	{"chiayi-county", "嘉義縣", "Chiayi County"},
	{"tainan-city", "臺南市", "Tainan City"},
	{"kaohsiung-city", "高雄市", "Kaohsiung City"},
	{"pingtung-county", "屏東縣", "Pingtung County"},
	{"yilan-county", "宜蘭縣", "Yilan County"},
	{"hualien-county", "花蓮縣", "Hualien County"},
	{"taitung-county", "臺東縣", "Taitung County"},
	{"penghu-county", "澎湖縣", "Penghu County"},
	{"kinmen-county", "金門縣", "Kinmen County"},
	{"lienchiang-county", "連江縣", "Lienchiang County"},
}

// The places a signature is counted at that are not a county (CountyOf).
const (
	// CountyOther: the platform said "other" (其它, 其他): abroad, or none
	// of the counties.
	CountyOther = "other"
	// CountyNotGiven: the signature names no county.
	CountyNotGiven = "not-given"
	// CountyUnreadable: the county string matches no county, or more than
	// one (a name whose characters the platform's export garbled, such as
	// "臺\ufffd市").
	CountyUnreadable = "unreadable"
)

// countyNames maps every spelling CountyOf accepts exactly (after 台 → 臺
// and trimming) to a county key: the Chinese and English names, the
// English names without "City"/"County", and the counties and cities
// merged into the special municipalities in 2010 and 2014.
var countyNames = func() map[string]string {
	m := map[string]string{}
	for _, c := range TaiwanCounties {
		m[c.ZH] = c.Key
		en := strings.ToLower(c.EN)
		m[en] = c.Key
		m[strings.TrimSuffix(strings.TrimSuffix(en, " city"), " county")] = c.Key
	}
	for old, key := range map[string]string{
		"臺北縣": "new-taipei-city", "桃園縣": "taoyuan-city", "臺中縣": "taichung-city",
		"臺南縣": "tainan-city", "高雄縣": "kaohsiung-city",
		"taipei county": "new-taipei-city", "taoyuan county": "taoyuan-city", "taichung county": "taichung-city",
		"tainan county": "tainan-city", "kaohsiung county": "kaohsiung-city",
	} {
		m[old] = key
	}
	for _, other := range []string{"其它", "其他", "other", "海外", "國外"} {
		m[other] = CountyOther
	}
	delete(m, "hsinchu") // both Hsinchu City and Hsinchu County
	delete(m, "chiayi")  // both Chiayi City and Chiayi County
	return m
}()

// garbled matches a run of replacement characters: one character the
// platform's export could not encode (three bytes, three U+FFFD).
var garbled = regexp.MustCompile("\ufffd+")

// CountyOf returns the key of the county a signature's county string names
// (a County's Key, or CountyOther, CountyNotGiven, CountyUnreadable).
// It accepts 臺 and 台, Chinese and English names, the names of the
// counties merged in 2010 and 2014 (臺北縣 is New Taipei City), and a
// name with garbled characters when exactly one current county's Chinese
// name fits it ("高\ufffd\ufffd\ufffd市" is Kaohsiung City; "臺\ufffd市"
// fits three and is unreadable).
func CountyOf(raw string) string {
	// A name exactly as countyNames spells it (as nearly every signature
	// gives it) is its own normal form: no 台, no space around it, no
	// upper case (TestCountyNamesNormal). Looked up as it is, it costs
	// neither the replacing nor the lowering.
	if key, ok := countyNames[raw]; ok {
		return key
	}
	s := strings.TrimSpace(strings.ReplaceAll(raw, "台", "臺"))
	if s == "" {
		return CountyNotGiven
	}
	if key, ok := countyNames[strings.ToLower(s)]; ok {
		return key
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		return CountyUnreadable
	}
	var pat strings.Builder
	pat.WriteString("^")
	last := 0
	for _, m := range garbled.FindAllStringIndex(s, -1) {
		pat.WriteString(regexp.QuoteMeta(s[last:m[0]]))
		pat.WriteString(".")
		last = m[1]
	}
	pat.WriteString(regexp.QuoteMeta(s[last:]) + "$")
	re, err := regexp.Compile(pat.String())
	if err != nil {
		return CountyUnreadable
	}
	found := ""
	for _, c := range TaiwanCounties {
		if re.MatchString(c.ZH) {
			if found != "" {
				return CountyUnreadable
			}
			found = c.Key
		}
	}
	if found == "" {
		return CountyUnreadable
	}
	return found
}

// CountyTally is a proposal's valid signatures by county: the public
// county only (the district is confidential and never kept here).
type CountyTally struct {
	ProposalID string `json:"proposalId"`
	// Valid is the number of valid signatures: the sum of Counts.
	Valid int `json:"valid"`
	// Counts maps a county key (County.Key, CountyOther, CountyNotGiven,
	// CountyUnreadable) to its valid signatures; counties without any are
	// left out.
	Counts map[string]int `json:"counts,omitempty"`
	// UnplacedInvalidations counts invalidations recorded without the
	// county (before it was carried, decision 0033): they are not
	// subtracted from any county, so Valid exceeds the proposal's tally by
	// this many.
	UnplacedInvalidations int `json:"unplacedInvalidations,omitempty"`
	// Last is the position of the last event folded into the tally.
	Last eventstore.Position `json:"last"`
}

// Counties is the read model of where valid signatures came from: per
// proposal the valid signatures by county (ProposalSigned adds one to its
// county, ProposalSignatureInvalidated takes one from the county it names).
// Apply is O(1) per event: one small document per proposal.
//
// A signature is read from its JSON (fastCounty), not decoded.
type Counties struct {
	path foldPath
}

var _ projections.Preloader = Counties{}

// Name implements projections.Projection.
func (Counties) Name() string { return CountiesName }

// Version implements projections.Projection.
func (Counties) Version() int { return 1 }

// Apply implements projections.Projection.
func (c Counties) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if c.path == fastFold {
		if done, err := fastCounty(ctx, tx, ev); done {
			return err
		}
	}
	return countiesTable.apply(ctx, tx, ev)
}

// fastCounty folds a signature from its JSON (signedFields), as the
// decoded fold does.
func fastCounty(ctx context.Context, tx projections.Tx, ev eventstore.Event) (bool, error) {
	sf, ok := signedFields(ev)
	if !ok {
		return false, nil
	}
	err := updateCounties(ctx, tx, ev, sf.proposal, func(c *CountyTally) {
		c.Counts[sf.countyKey]++ // countSigned, with CountyOf(county) read once (readSigned)
		c.Valid++
	})
	if err != nil {
		return true, fmt.Errorf("%s: %s: %w", CountiesName, ev.Type, err)
	}
	return true, nil
}

// countSigned adds a signature from county.
func countSigned(c *CountyTally, county string) {
	c.Counts[CountyOf(county)]++
	c.Valid++
}

// Preload implements projections.Preloader: the proposal's document.
func (c Counties) Preload(ev eventstore.Event) []projections.DocRef {
	return c.AppendPreload(nil, ev)
}

// AppendPreload implements projections.PreloadAppender: Preload appended
// to refs.
func (Counties) AppendPreload(refs []projections.DocRef, ev eventstore.Event) []projections.DocRef {
	if ev.Type != signedType && !countiesTable.handles(ev.Type) {
		return refs
	}
	if id := domain.StreamOf(domain.StreamProposal, ev.Stream); id != "" {
		return append(refs, projections.DocRef{Collection: collCounties, Key: id})
	}
	return refs
}

var countiesTable = func() *table {
	t := newTable(CountiesName)
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSigned) error {
		return updateCounties(ctx, tx, ev, e.ProposalID, func(c *CountyTally) { countSigned(c, e.County) })
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSignatureInvalidated) error {
		return updateCounties(ctx, tx, ev, e.ProposalID, func(c *CountyTally) {
			key := CountyOf(e.County)
			if c.Counts[key] == 0 {
				// recorded before invalidations named the county
				// (decision 0033): no county to take it from
				c.UnplacedInvalidations++
				return
			}
			if c.Counts[key]--; c.Counts[key] == 0 {
				delete(c.Counts, key)
			}
			c.Valid--
		})
	})
	t.ignore("the proposal's life, not where its signatures came from", "proposal.submitted", "proposal.published",
		"proposal.milestone_reached", "proposal.established", "proposal.expired", "proposal.response_deadline_extended",
		"proposal.responded", "proposal.response_added", "proposal.response_deadline_missed",
		"proposal.signature_list_missing", "proposal.late_signatures_recorded", "proposal.leads_assigned")
	for _, ty := range domain.EventTypes() {
		if !strings.HasPrefix(ty, "proposal.") {
			t.ignore("not a proposal's event: no signature", ty)
		}
	}
	return t
}()

func updateCounties(ctx context.Context, tx projections.Tx, ev eventstore.Event, id domain.ProposalID, fn func(c *CountyTally)) error {
	return projections.Update(ctx, tx, collCounties, string(id), func(c *CountyTally) error {
		if c.ProposalID == "" {
			c.ProposalID = string(id)
		}
		if c.Counts == nil {
			c.Counts = map[string]int{}
		}
		fn(c)
		c.Last = ev.Position
		return nil
	})
}

// ProposalCounties returns a proposal's valid signatures by county; false
// if it has no signature.
func ProposalCounties(ctx context.Context, r projections.Reader, id domain.ProposalID) (CountyTally, bool, error) {
	c, ok, err := projections.Get[CountyTally](ctx, r, collCounties, string(id))
	return c, ok, wrap(err, "signatures by county of %s", id)
}
