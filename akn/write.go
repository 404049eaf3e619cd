package akn

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Namespace is the Akoma Ntoso 3.0 namespace Write declares.
const Namespace = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"

// Write writes d as an Akoma Ntoso debate that Parse reads back to the same
// document (ID, date, title and utterances; the persons are those the
// utterances name). Each paragraph is passed through Sanitize, so whatever
// a paragraph holds, only the safe subset is written.
//
// The layout: identification (FRBRWork with FRBRthis, FRBRuri, FRBRdate,
// FRBRname = d.ID), references (one TLCPerson per speaker, showAs = the
// name of their first speech), then one debateSection headed by the title,
// a new debateSection at each heading utterance, <narrative> for
// narration and <speech by="#id"> for speech (with <from> when a speech
// shows another name than the person's showAs, and without by for a speech
// whose speaker is not known).
func Write(w io.Writer, d *Document) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b strings.Builder
	esc := func(s string) string {
		b.Reset()
		escapeAttr(&b, s)
		return b.String()
	}
	persons := personsOf(d)
	shown := make(map[string]string, len(persons))
	for _, p := range persons {
		shown[p.ID] = p.Name
	}
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<akomaNtoso xmlns=\"%s\">\n  <debate name=\"transcript\">\n    <meta>\n", Namespace)
	if d.ID != "" || d.Date != "" {
		uri := "/akn/tw/debate/" + esc(d.Date) + "/" + esc(d.ID)
		fmt.Fprintf(bw, "      <identification source=\"#collabledger\">\n        <FRBRWork>\n          <FRBRthis value=\"%s/!main\"/>\n          <FRBRuri value=\"%s\"/>\n", uri, uri)
		if d.Date != "" {
			fmt.Fprintf(bw, "          <FRBRdate date=\"%s\" name=\"meeting\"/>\n", esc(d.Date))
		}
		fmt.Fprintf(bw, "          <FRBRauthor href=\"#pdis\"/>\n          <FRBRcountry value=\"tw\"/>\n")
		if d.ID != "" {
			fmt.Fprintf(bw, "          <FRBRname value=\"%s\"/>\n", esc(d.ID))
		}
		fmt.Fprintf(bw, "        </FRBRWork>\n      </identification>\n")
	}
	bw.WriteString("      <references source=\"#collabledger\">\n")
	for _, p := range persons {
		id := esc(p.ID)
		fmt.Fprintf(bw, "        <TLCPerson id=\"%s\" href=\"/ontology/person/::/%s\" showAs=\"%s\"/>\n", id, id, esc(p.Name))
	}
	bw.WriteString("      </references>\n    </meta>\n    <debateBody>\n      <debateSection>\n")
	fmt.Fprintf(bw, "        <heading>%s</heading>\n", EscapeText(d.Title))
	for _, u := range d.Utterances {
		switch u.Kind {
		case Heading:
			for _, p := range u.Paragraphs {
				fmt.Fprintf(bw, "      </debateSection>\n      <debateSection>\n        <heading>%s</heading>\n", Sanitize(p))
			}
			continue
		case Narration:
			bw.WriteString("        <narrative>\n")
		default:
			if u.Speaker == "" {
				bw.WriteString("        <speech>\n")
			} else {
				fmt.Fprintf(bw, "        <speech by=\"#%s\">\n", esc(u.Speaker))
				if u.Name != shown[u.Speaker] {
					fmt.Fprintf(bw, "          <from>%s</from>\n", EscapeText(u.Name))
				}
			}
		}
		for _, p := range u.Paragraphs {
			fmt.Fprintf(bw, "          <p>%s</p>\n", Sanitize(p))
		}
		if u.Kind == Narration {
			bw.WriteString("        </narrative>\n")
		} else {
			bw.WriteString("        </speech>\n")
		}
	}
	bw.WriteString("      </debateSection>\n    </debateBody>\n  </debate>\n</akomaNtoso>\n")
	return bw.Flush()
}

// personsOf returns one person per speaker of d's speeches, in order of
// their first speech, named as in d.Persons if declared there, else as
// their first speech.
func personsOf(d *Document) []Person {
	declared := make(map[string]string, len(d.Persons))
	for _, p := range d.Persons {
		if _, ok := declared[p.ID]; !ok {
			declared[p.ID] = p.Name
		}
	}
	seen := map[string]bool{}
	var out []Person
	for _, u := range d.Utterances {
		if u.Kind != Speech || u.Speaker == "" || seen[u.Speaker] {
			continue
		}
		seen[u.Speaker] = true
		name, ok := declared[u.Speaker]
		if !ok || name == "" {
			name = u.Name
		}
		out = append(out, Person{ID: u.Speaker, Name: name})
	}
	return out
}

// Popolo is a Popolo JSON document (popoloproject.com): the people who
// speak in transcripts and the organisations they belong to.
type Popolo struct {
	Persons       []PopoloPerson       `json:"persons"`
	Organizations []PopoloOrganization `json:"organizations"`
	Memberships   []PopoloMembership   `json:"memberships,omitempty"`
}

// PopoloPerson is a person.
type PopoloPerson struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// OtherNames are further names the person was shown with.
	OtherNames []PopoloName `json:"other_names,omitempty"`
}

// PopoloName is another name of a person.
type PopoloName struct {
	Name string `json:"name"`
}

// PopoloOrganization is an organisation (a ministry or agency).
type PopoloOrganization struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Classification string `json:"classification,omitempty"`
	ParentID       string `json:"parent_id,omitempty"`
}

// PopoloMembership says a person belongs to an organisation.
type PopoloMembership struct {
	PersonID       string `json:"person_id"`
	OrganizationID string `json:"organization_id"`
	Role           string `json:"role,omitempty"`
}

// PersonsOf returns the Popolo persons of the documents' speeches: one per
// speaker ID, named by their showAs, with the other names they were shown
// with.
func PersonsOf(docs ...*Document) []PopoloPerson {
	idx := map[string]int{}
	var out []PopoloPerson
	for _, d := range docs {
		for _, p := range personsOf(d) {
			if _, ok := idx[p.ID]; !ok {
				idx[p.ID] = len(out)
				out = append(out, PopoloPerson{ID: p.ID, Name: p.Name})
			}
		}
		for _, u := range d.Utterances {
			if u.Kind != Speech || u.Speaker == "" {
				continue
			}
			pp := &out[idx[u.Speaker]]
			if u.Name == pp.Name {
				continue
			}
			known := false
			for _, o := range pp.OtherNames {
				known = known || o.Name == u.Name
			}
			if !known {
				pp.OtherNames = append(pp.OtherNames, PopoloName{Name: u.Name})
			}
		}
	}
	return out
}

// WritePopolo writes p as indented JSON.
func WritePopolo(w io.Writer, p Popolo) error {
	if p.Persons == nil {
		p.Persons = []PopoloPerson{}
	}
	if p.Organizations == nil {
		p.Organizations = []PopoloOrganization{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}
