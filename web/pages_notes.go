package web

import (
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// The notes of a meeting with their structure: each concept-development
// sheet as a table of its sections in the sheet's order (problem →
// sub-problems → solutions → risks → how to overcome → responsible unit →
// vision), and the mind map as nested lists, each note under the one it
// hangs from.

// ConceptSheet is a concept-development sheet as the page shows it.
type ConceptSheet struct {
	// Name is the sheet's name as recorded.
	Name string
	// Sections are every section of a sheet, in the sheet's order, each
	// with its notes (none: an empty section).
	Sections []SheetSection
}

// SheetSection is a section of a concept sheet and its notes.
type SheetSection struct {
	Section domain.ConceptSection
	Notes   []readmodels.Note
}

// MindNode is a note of the mind map and the notes hanging from it.
type MindNode struct {
	Note     readmodels.Note
	Children []*MindNode
}

// conceptSheets returns the concept sheets of notes, in the order each was
// first written on.
func conceptSheets(notes []readmodels.Note) []ConceptSheet {
	var out []ConceptSheet
	index := map[string]int{}
	for _, n := range notes {
		if n.Board != domain.BoardConceptSheet {
			continue
		}
		i, ok := index[n.Sheet]
		if !ok {
			i = len(out)
			index[n.Sheet] = i
			sheet := ConceptSheet{Name: n.Sheet}
			for _, s := range domain.ConceptSections() {
				sheet.Sections = append(sheet.Sections, SheetSection{Section: s})
			}
			out = append(out, sheet)
		}
		for j := range out[i].Sections {
			if out[i].Sections[j].Section == n.Section {
				out[i].Sections[j].Notes = append(out[i].Sections[j].Notes, n)
			}
		}
	}
	return out
}

// mindMap returns the mind map of notes as trees: a note whose parent is
// not shown (none, or removed from the public view) is a root.
func mindMap(notes []readmodels.Note) []*MindNode {
	nodes := map[string]*MindNode{}
	var order []*MindNode
	for _, n := range notes {
		if n.Board != domain.BoardMindMap {
			continue
		}
		node := &MindNode{Note: n}
		nodes[n.NoteID] = node
		order = append(order, node)
	}
	var roots []*MindNode
	for _, node := range order {
		parent, ok := nodes[node.Note.Parent]
		// A parent is written before its children; anything else (a
		// parent not shown, or a loop) stands at the top.
		if !ok || parent == node || descends(parent, node, nodes) {
			roots = append(roots, node)
			continue
		}
		parent.Children = append(parent.Children, node)
	}
	return roots
}

// descends reports whether n hangs, through its parents, from node.
func descends(n, node *MindNode, nodes map[string]*MindNode) bool {
	for seen := 0; n != nil && seen <= len(nodes); seen++ {
		if n == node {
			return true
		}
		n = nodes[n.Note.Parent]
	}
	return false
}
