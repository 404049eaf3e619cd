package web

import (
	"sync"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/transcriptdiff"
)

// A transcript page shows, for each edited utterance, every version and a
// word-level diff from the version before: the transcript importer's diff
// (transcriptdiff: paragraphs aligned, then CJK per character and
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

// diffCache keeps recent word diffs by the two versions' text: a version's
// text never changes once recorded, so the diff between two is the same on
// every request, and a transcript page asks for hundreds of them. Keyed by
// content (not by event), so it can never show a stale diff. Bounded: when
// full, it starts afresh.
var diffCache = struct {
	sync.Mutex
	m map[string][]diffParagraph
}{m: map[string][]diffParagraph{}}

const diffCacheEntries = 16384

// cachedDiff is diffParagraphs(old, new), from diffCache when it has it.
// The result is shared: callers must not modify it.
func cachedDiff(old, new []string) []diffParagraph {
	n := 2
	for _, s := range old {
		n += len(s) + 1
	}
	for _, s := range new {
		n += len(s) + 1
	}
	k := make([]byte, 0, n)
	for _, s := range old {
		k = append(k, s...)
		k = append(k, 0)
	}
	k = append(k, 1)
	for _, s := range new {
		k = append(k, s...)
		k = append(k, 0)
	}
	diffCache.Lock()
	d, ok := diffCache.m[string(k)]
	diffCache.Unlock()
	if ok {
		return d
	}
	d = diffParagraphs(old, new)
	diffCache.Lock()
	if len(diffCache.m) >= diffCacheEntries {
		clear(diffCache.m)
	}
	diffCache.m[string(k)] = d
	diffCache.Unlock()
	return d
}
