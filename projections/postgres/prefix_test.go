package postgres

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPrefixEnd: [prefix, prefixEnd(prefix)) holds exactly the strings that
// start with prefix, in byte order, and the bound is valid UTF-8 (PostgreSQL
// text takes nothing else).
func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ prefix, want string }{
		{"", ""},
		{"a/", "a0"},
		{"case-90/", "case-900"},
		{"會議/", "會議0"},
		{"x\u00ff", "x\u0100"},
		{"x\ud7ff", "x\ue000"},
		{"x\U0010ffff", "y"},
		{"\U0010ffff\U0010ffff", ""},
	} {
		got := prefixEnd(c.prefix)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
	keys := []string{"a", "a/", "a/1", "a/\U0010ffff", "a0", "a/會", "b", "會議/1", "會議0", "會議/\uffff"}
	for _, prefix := range []string{"a/", "會議/", "a"} {
		end := prefixEnd(prefix)
		for _, k := range keys {
			in := k >= prefix && (end == "" || k < end)
			if in != strings.HasPrefix(k, prefix) {
				t.Errorf("prefix %q, end %q: key %q in range %v, has prefix %v", prefix, end, k, in, !in)
			}
		}
	}
}
