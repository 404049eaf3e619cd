package web

import (
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
)

// TestFormLabelsComplete: every command with a form has its title and
// every field's label in both languages; only the importer's commands
// (lists of records) have no form.
func TestFormLabelsComplete(t *testing.T) {
	for _, c := range app.Commands() {
		fields, ok := commandForm(c.Name)
		if !ok {
			if !strings.HasPrefix(c.Name, "transcript.import") && !strings.HasPrefix(c.Name, "case.import") && c.Name != "transcript.split_utterance" {
				t.Errorf("%s has no form", c.Name)
			}
			continue
		}
		for _, lang := range []string{LangZhHant, LangEn} {
			if _, ok := catalogue[lang]["cmd."+c.Name]; !ok {
				t.Errorf("%s: no %s title", c.Name, lang)
			}
			for _, f := range fields {
				if _, ok := catalogue[lang][f.label]; !ok {
					t.Errorf("%s: field %s has no %s label (%s)", c.Name, f.name, lang, f.label)
				}
			}
		}
	}
}

// TestFormBody: the fields of a form become the command's JSON body as the
// API takes it; the server's IDs are made; paragraphs split at blank lines.
func TestFormBody(t *testing.T) {
	fields, _ := commandForm("transcript.record_utterance")
	vals := map[string]string{"meetingId": "m-1", "kind": "speech", "speaker.name": "唐鳳", "speaker.actorId": "pdis-1", "paragraphs": "第一段\r\n\r\n  第二段 \n"}
	body, made, errs := formBody("transcript.record_utterance", fields, func(k string) string { return vals[k] }, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	if len(errs) > 0 || !strings.HasPrefix(made["utteranceId"], "u-20261206-") {
		t.Fatalf("errs %v, made %v", errs, made)
	}
	cmd, err := decodeCommand("transcript.record_utterance", body)
	if err != nil {
		t.Fatal(err)
	}
	got := string(body)
	for _, want := range []string{`"paragraphs":["第一段","第二段"]`, `"speaker":{"actorId":"pdis-1","name":"唐鳳"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("body %s lacks %s", got, want)
		}
	}
	if cmd.CommandName() != "transcript.record_utterance" {
		t.Errorf("decoded %T", cmd)
	}
	if f := fieldOfRule(fields, "case.change_stage.reason_missing", ""); f != "" {
		t.Errorf("a rule of another field's name matched %q", f)
	}
	stage, _ := commandForm("case.change_stage")
	if f := fieldOfRule(stage, "case.change_stage.reason_missing", ""); f != "f-reason" {
		t.Errorf("reason_missing → %q, want f-reason", f)
	}
}
