// Package akn reads and writes transcripts in Akoma Ntoso (the OASIS XML
// standard for debates that SayIt, and so sayit.pdis.nat.gov.tw, imports
// and exports), and people and organisations as Popolo JSON. It is pure:
// io.Reader and io.Writer in, values out, no store.
//
//	doc, err := akn.Parse(r, akn.Options{Name: "2019-01-25-….an.xml"})
//	var ae *akn.Error
//	if errors.As(err, &ae) { fmt.Println(ae.File, ae.Line, ae.Err) } // ErrInvalidXML, ErrUndeclaredSpeaker, …
//	err = akn.Write(w, doc) // Parse(Write(doc)) is the same transcript
//
// # The mapping
//
// One <akomaNtoso><debate> is one Document: its title is the preface's
// <docTitle>, else the first <heading>; its date is the FRBRdate, else the
// preface's <docDate date>, else the date the title starts with, else the
// one the file name starts with; each <TLCPerson id showAs> of the
// references is a Person; each <speech by="#id"> is a Speech utterance by
// that person (named by its <from> if it has one, else the person's
// showAs), each <narrative> a Narration, the rest of the preface's text a
// Narration first, and every other <heading> or <subheading> of a
// debateSection, nested at any depth, a Heading utterance, all in
// document order (a speech nested in another follows it; the sections'
// depth is not kept). A speech's paragraphs are its <p>s;
// markup directly in a speech (a list, a line break, loose text) forms a
// paragraph of its own; empty paragraphs and empty narratives are left
// out. docs/akoma-ntoso.md has the whole mapping and the worked rules.
//
// # The safe inline subset
//
// Paragraphs keep links, italics, bold, lists, line breaks and quotations
// in one canonical form (see Sanitize), which is at once well-formed XML
// and safe HTML; every other element is reduced to its text. Nothing from a
// file is ever passed on as raw HTML.
//
// # Bad input
//
// Parse refuses, with an *Error naming the file and line: a file over the
// size limit (ErrTooLarge), not UTF-8 (ErrEncoding), not well-formed XML
// (ErrInvalidXML), not an Akoma Ntoso debate (ErrNotAkomaNtoso), a speech
// by an undeclared person (ErrUndeclaredSpeaker) or a speech without text
// (ErrEmptySpeech).
package akn
