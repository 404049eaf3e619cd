package web

import (
	"bytes"
	"context"
	"flag"
	"github.com/google/uuid"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/transparency"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/tokens"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite web/openapi.yaml from the command catalogue")

// TestOpenAPIUpToDate: openapi.yaml is what the generator writes from the
// command catalogue and the domain's command types.
func TestOpenAPIUpToDate(t *testing.T) {
	got, err := renderOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		if err := os.WriteFile("openapi.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, openAPIDocument) {
		t.Fatal("web/openapi.yaml is out of date with the commands; run: go test ./web -run TestOpenAPIUpToDate -update-openapi")
	}
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// stubExecutor stands in for the Ledger where only the routes matter.
type stubExecutor struct{}

func (stubExecutor) Execute(context.Context, domain.Actor, domain.Command, ...app.Option) (app.Result, error) {
	return app.Result{}, nil
}

type stubAuth struct{ TokenService }

type stubProofs struct{}

func (stubProofs) Latest(context.Context) (transparency.Checkpoint, error) {
	return transparency.Checkpoint{}, transparency.ErrNoCheckpoint
}
func (stubProofs) Witnessed(context.Context) (transparency.Checkpoint, error) {
	return transparency.Checkpoint{}, transparency.ErrNoCheckpoint
}
func (stubProofs) ProveInclusion(context.Context, transparency.LeafRef, int64) (transparency.InclusionProof, error) {
	return transparency.InclusionProof{}, transparency.ErrNoCheckpoint
}
func (stubProofs) ProveConsistency(context.Context, int64, int64) (transparency.ConsistencyProof, error) {
	return transparency.ConsistencyProof{}, transparency.ErrNoCheckpoint
}
func (stubProofs) Entry(context.Context, uuid.UUID) (transparency.Entry, error) {
	return transparency.Entry{}, transparency.ErrNoCheckpoint
}
func (stubProofs) Entries(context.Context, []uuid.UUID) ([]transparency.Entry, error) {
	return nil, transparency.ErrNoCheckpoint
}

type stubFeed struct{}

func (stubFeed) Import(_ context.Context, p *join.Proposal, _ []join.Signature, _ string) join.Outcome {
	return join.Outcome{ProposalID: p.ID}
}

type stubReadSide struct{}

func (stubReadSide) Status(context.Context) ([]projections.Status, error) { return nil, nil }
func (stubReadSide) Rebuild(context.Context, string) (uint64, error)      { return 0, nil }

func (stubAuth) Authenticate(context.Context, string) (domain.Actor, error) {
	return domain.Actor{}, tokens.ErrUnauthenticated
}

// TestOpenAPIMatchesRouter: the document is valid OpenAPI 3.1; every
// documented path and method is served; every served API route is
// documented; every command of the policy table has a documented route
// with a request schema, bearer security and the error envelope.
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	cfg := Config{Store: nil, Ledger: stubExecutor{}, Tokens: stubAuth{}, ReadSide: stubReadSide{}, Proofs: stubProofs{}, JoinFeed: stubFeed{}, Metrics: prometheus.NewRegistry(), Export: &ExportConfig{}}
	store, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "l.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h, err := New(Config{Store: store, Ledger: stubExecutor{}, Tokens: stubAuth{}, ReadSide: stubReadSide{}, Proofs: stubProofs{}, JoinFeed: stubFeed{}, Metrics: prometheus.NewRegistry(), Export: &ExportConfig{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	mux := h.(*router).mux

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
			req := httptest.NewRequest(method, path, nil)
			if _, pattern := mux.Handler(req); pattern != method+" "+path {
				t.Errorf("documented %s %s is served by %q", method, path, pattern)
			}
		}
	}
	served := (&server{cfg: cfg}).registerAPI(http.NewServeMux())
	served = append(served, "GET /healthz", "GET "+ReadyPath)
	for _, p := range served {
		if strings.Contains(p, "{name}") {
			continue // the JSON 404 for unknown commands
		}
		if !documented[p] {
			t.Errorf("served route %s is not documented", p)
		}
	}
	for _, rule := range domain.Policy() {
		path := CommandsPath + rule.Command
		item := doc.Paths.Find(path)
		if item == nil || item.Post == nil {
			t.Errorf("command %s has no documented route", rule.Command)
			continue
		}
		op := item.Post
		if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json") == nil {
			t.Errorf("%s: no JSON request body", rule.Command)
		}
		if op.Security == nil || len(*op.Security) != 1 || (*op.Security)[0]["bearerAuth"] == nil {
			t.Errorf("%s: not secured by the bearer token", rule.Command)
		}
		for _, status := range []string{"201", "400", "401", "403", "404", "409", "413", "415", "422", "503"} {
			if op.Responses.Value(status) == nil {
				t.Errorf("%s: response %s undocumented", rule.Command, status)
			}
		}
		schema := doc.Components.Schemas[rule.Command]
		if schema == nil || schema.Value == nil || len(schema.Value.Properties) == 0 {
			t.Errorf("%s: no request schema", rule.Command)
		}
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Scheme != "bearer" {
		t.Error("no bearer security scheme")
	}
	codes := doc.Components.Schemas["ErrorDetail"].Value.Properties["code"].Value.Enum
	for _, c := range []string{CodeBadRequest, CodeUnauthenticated, CodeForbidden, CodeNotFound, CodeConflict, CodeWrongExpectedVersion, CodeTooLarge, CodeUnsupportedMediaType, CodeRuleViolated, CodeUnavailable} {
		if !slices.Contains(codes, any(c)) {
			t.Errorf("error code %s undocumented", c)
		}
	}
}

// TestRequestSchemasDescribeDecoding: every member the schema documents is
// decoded into the command (no typo between the generator and the
// decoder).
func TestRequestSchemasDescribeDecoding(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, c := range app.Commands() {
		schema := doc.Components.Schemas[c.Name].Value
		for name, prop := range schema.Properties {
			var sample string
			switch {
			case prop.Value.Type.Is("string") && prop.Value.Format == "date":
				sample = `"2019-03-06"`
			case prop.Value.Type.Is("string") && prop.Value.Format == "date-time":
				sample = `"2019-03-06T14:00:00+08:00"`
			case prop.Value.Type.Is("string") && prop.Value.Format == "uuid":
				sample = `"6f1d7a3e-4b7e-5c1a-9a43-0c2b8e5d1f60"`
			case prop.Ref != "" && strings.HasSuffix(prop.Ref, "Speaker"):
				sample = `{"name":"唐鳳"}`
			case prop.Value.Type.Is("string") || prop.Ref != "":
				sample = `"x"`
			case prop.Value.Type.Is("integer"):
				sample = `1`
			case prop.Value.Type.Is("boolean"):
				sample = `true`
			case prop.Value.Type.Is("array"):
				sample = `[]`
			default:
				t.Errorf("%s.%s: no sample for %v", c.Name, name, prop.Value.Type)
				continue
			}
			if _, err := decodeCommand(c.Name, []byte(`{"`+name+`":`+sample+`}`)); err != nil {
				t.Errorf("%s: documented member %s does not decode: %v", c.Name, name, err)
			}
		}
	}
}
