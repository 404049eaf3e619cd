package web

import (
	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/importer/transcriptdiff"
)

// A transcript page shows, for each edited utterance, every version and a
// word-level diff from the version before: the transcript importer's diff
// (importer/transcriptdiff: paragraphs aligned, then CJK per character and
// Latin per word, Myers), rendered as <ins>/<del> with words for screen
// readers.

// diffParagraph is one paragraph of a version's diff.
type diffParagraph struct {
	// Kind is "same", "deleted", "inserted" or "changed".
	Kind   string
	Chunks []diffChunk
}

// diffChunk is a run of text that is kept ("eq"), deleted ("del") or
// inserted ("ins").
type diffChunk struct {
	Kind string
	Text string
}

// plainText is a paragraph without its inline markup: the pages show
// transcript text as plain text.
func plainText(s string) string { return akn.PlainText(s) }

func plainParagraphs(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = plainText(p)
	}
	return out
}

// diffParagraphs diffs two versions' paragraphs (plain text).
func diffParagraphs(old, new []string) []diffParagraph {
	changes := transcriptdiff.Paragraphs(old, new)
	out := make([]diffParagraph, 0, len(changes))
	for _, c := range changes {
		switch c.Kind {
		case transcriptdiff.ParagraphSame:
			out = append(out, diffParagraph{Kind: "same", Chunks: []diffChunk{{Kind: "eq", Text: c.New}}})
		case transcriptdiff.ParagraphDeleted:
			out = append(out, diffParagraph{Kind: "deleted", Chunks: []diffChunk{{Kind: "del", Text: c.Old}}})
		case transcriptdiff.ParagraphInserted:
			out = append(out, diffParagraph{Kind: "inserted", Chunks: []diffChunk{{Kind: "ins", Text: c.New}}})
		default:
			dp := diffParagraph{Kind: "changed"}
			for _, w := range c.Words {
				k := "eq"
				switch w.Kind {
				case transcriptdiff.Delete:
					k = "del"
				case transcriptdiff.Insert:
					k = "ins"
				}
				dp.Chunks = append(dp.Chunks, diffChunk{Kind: k, Text: w.Text})
			}
			out = append(out, dp)
		}
	}
	return out
}
