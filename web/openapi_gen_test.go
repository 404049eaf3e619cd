package web

// The generator of openapi.yaml: the document is written from the command
// catalogue (app.Commands) and the domain's command types, so that it
// cannot drift from what the API decodes. TestOpenAPIUpToDate fails when
// the file differs; regenerate it with
//
//	go test ./web -run TestOpenAPIUpToDate -update-openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// ---- ordered YAML ----

// ym builds a mapping node from alternating keys and values.
func ym(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, yv(kv[i]), yv(kv[i+1]))
	}
	return n
}

// yset appends key: value to a mapping node.
func yset(n *yaml.Node, key string, val any) { n.Content = append(n.Content, yv(key), yv(val)) }

// ys builds a sequence node.
func ys(items ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, it := range items {
		n.Content = append(n.Content, yv(it))
	}
	return n
}

func yv(v any) *yaml.Node {
	switch x := v.(type) {
	case *yaml.Node:
		return x
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
		if strings.Contains(x, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(x)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range x {
			n.Content = append(n.Content, yv(s))
		}
		return n
	}
	panic(fmt.Sprintf("openapi generator: no YAML for %T", v))
}

func ref(to string) *yaml.Node { return ym("$ref", to) }

// ---- schemas of Go types ----

// enums are the values of the domain's string types that have a fixed set.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[domain.CaseStage]():           strs(domain.CaseStages()),
	reflect.TypeFor[domain.StakeholderCategory](): strs(domain.StakeholderCategories()),
	reflect.TypeFor[domain.ConceptSection]():      strs(domain.ConceptSections()),
	reflect.TypeFor[domain.CaseSourceKind]():      {string(domain.SourceVotedTopic), string(domain.SourceAssignment), string(domain.SourceImported)},
	reflect.TypeFor[domain.DirectiveKind]():       {string(domain.DirectiveWithinAuthority), string(domain.DirectiveSpecific)},
	reflect.TypeFor[domain.Verdict]():             {string(domain.VerdictAdopted), string(domain.VerdictPartly), string(domain.VerdictNotAdopted), string(domain.VerdictDeferred)},
	reflect.TypeFor[domain.CandidateKind]():       {string(domain.CandidateEstablishedProposal), string(domain.CandidateMinistryProposal), string(domain.CandidatePDISProposal), string(domain.CandidateEYAssignment)},
	reflect.TypeFor[domain.PORole]():              {string(domain.POChief), string(domain.POUnit)},
	reflect.TypeFor[domain.MeetingKind]():         {string(domain.MeetingCollaborative), string(domain.MeetingPreMeeting), string(domain.MeetingWorking), string(domain.MeetingOther), string(domain.MeetingPOMonthly)},
	reflect.TypeFor[domain.Phase]():               {string(domain.PhaseDiscover), string(domain.PhaseDefine), string(domain.PhaseDevelop), string(domain.PhaseDeliver)},
	reflect.TypeFor[domain.ParticipantRole]():     {string(domain.ParticipantHost), string(domain.ParticipantProposer), string(domain.ParticipantMinistry), string(domain.ParticipantStakeholder), string(domain.ParticipantExpert), string(domain.ParticipantObserver), string(domain.ParticipantStenographer)},
	reflect.TypeFor[domain.Board]():               {string(domain.BoardMindMap), string(domain.BoardConceptSheet)},
	reflect.TypeFor[domain.RecordingKind]():       {string(domain.RecordingVideo), string(domain.RecordingLiveStream), string(domain.RecordingAudio)},
	reflect.TypeFor[domain.UtteranceKind]():       {string(domain.UtteranceSpeech), string(domain.UtteranceNarration), string(domain.UtteranceHeading)},
	reflect.TypeFor[domain.Role]():                strs(domain.Roles()),
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// generator collects the component schemas the command schemas refer to.
type generator struct {
	components map[string]*yaml.Node
	order      []string
}

func (g *generator) component(name string, build func() *yaml.Node) *yaml.Node {
	if _, ok := g.components[name]; !ok {
		g.components[name] = nil // break cycles
		g.order = append(g.order, name)
		g.components[name] = build()
	}
	return ref("#/components/schemas/" + name)
}

func (g *generator) schemaOf(t reflect.Type) *yaml.Node {
	switch t {
	case reflect.TypeFor[time.Time]():
		return ym("type", "string", "format", "date-time")
	case reflect.TypeFor[calendar.Date]():
		return ym("type", "string", "format", "date")
	case reflect.TypeFor[uuid.UUID]():
		return ym("type", "string", "format", "uuid")
	case reflect.TypeFor[domain.SignerID]():
		return ref("#/components/schemas/Pseudonym")
	case commandType:
		return ref("#/components/schemas/Change")
	case reflect.TypeFor[eventstore.Hash]():
		return ym("type", "string", "pattern", "^[0-9a-f]{64}$", "description", "A SHA-256 content hash in lower-case hex (docs/content-hash.md).")
	case reflect.TypeFor[json.RawMessage]():
		return ym("type", "object", "description", "The event's body, in RFC 8785 canonical JSON.")
	}
	switch t.Kind() {
	case reflect.String:
		if vals, ok := enums[t]; ok {
			return ym("type", "string", "enum", vals)
		}
		if t.PkgPath() == reflect.TypeFor[domain.ProposalID]().PkgPath() && strings.HasSuffix(t.Name(), "ID") {
			return ref("#/components/schemas/Identifier")
		}
		return ym("type", "string")
	case reflect.Bool:
		return ym("type", "boolean")
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint64:
		return ym("type", "integer")
	case reflect.Slice:
		return ym("type", "array", "items", g.schemaOf(t.Elem()))
	case reflect.Struct:
		return g.component(t.Name(), func() *yaml.Node { return g.object(t, "") })
	}
	panic(fmt.Sprintf("openapi generator: no schema for %s", t))
}

// object is the schema of a struct: its exported fields, by JSON name.
func (g *generator) object(t reflect.Type, description string) *yaml.Node {
	props := ym()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		yset(props, jsonName(f), g.schemaOf(f.Type))
	}
	n := ym("type", "object")
	if description != "" {
		yset(n, "description", description)
	}
	yset(n, "additionalProperties", false)
	yset(n, "properties", props)
	return n
}

// ---- the document ----

const apiDescription = `The command side of collab-ledger, the tamper-evident record of Taiwan's
open-government participation process.

Every command of the domain's policy table has one route,
POST /api/v1/commands/{name}, whose body is the command as JSON. Member
names are lowerCamelCase (matched case-insensitively); unknown members and
values of the wrong type are refused with 400 bad_request. The caller is
the actor of the bearer token; the policy table says which roles may issue
each command (x-roles), and the per-command checks (x-checks) further
restrict them. A stored command answers 201 with its events (ID, stream,
version, global position, type, content hash); 200 with no events means
the domain found nothing to change. A refused request changes nothing.

Errors are {"error":{"code","message","rule"}}: code is one of
bad_request 400, unauthenticated 401, forbidden 403, not_found 404,
conflict and wrong_expected_version 409, too_large 413,
unsupported_media_type 415, rule_violated 422, internal 500,
unavailable 503; rule is the domain's stable rule code of a refused
command ("proposal.sign.self_only").

Tokens: "collabledger tokens create --role po --ministry moi --actor ID"
prints a token (clt_ and 43 base64url characters) once; the log keeps
only its SHA-256, in the "tokens" stream. Citizens: the API never takes a
raw identity. An identity provider adapter (or "tokens create --role
citizen --identity X") computes the citizen's keyed pseudonym,
HMAC-SHA256(server secret, verified identity) in lower-case hex, and
issues a token for it; only the pseudonym is stored. A citizen's token
acts as that pseudonym: proposal.sign takes it as the signer (the body's
signer may be left out).

Query routes for the read models will be added under /api/v1/ beside
these.
`

var errorResponses = []struct {
	status, name, desc string
	codes              []string
}{
	{"400", "BadRequest", "Malformed JSON, an unknown member, a value of the wrong type, or a malformed header.", []string{CodeBadRequest}},
	{"401", "Unauthenticated", "No bearer token, or one that is unknown, revoked or expired.", []string{CodeUnauthenticated}},
	{"403", "Forbidden", "The actor may not issue the command: its role, or a per-command check (the rule says which).", []string{CodeForbidden}},
	{"404", "NotFound", "The command names something that does not exist.", []string{CodeNotFound}},
	{"409", "Conflict", "The aggregate is in the wrong state for the command (conflict), or kept changing under it (wrong_expected_version: try again).", []string{CodeConflict, CodeWrongExpectedVersion}},
	{"413", "TooLarge", "The body is over the limit (1 MiB by default).", []string{CodeTooLarge}},
	{"415", "UnsupportedMediaType", "The body is not application/json.", []string{CodeUnsupportedMediaType}},
	{"422", "RuleViolated", "The command breaks a domain rule (the rule says which).", []string{CodeRuleViolated}},
	{"500", "Internal", "A fault of the server.", []string{CodeInternal}},
	{"503", "Unavailable", "The event store is unavailable, or the request ran out of time.", []string{CodeUnavailable}},
}

func allCodes() []string {
	var out []string
	for _, r := range errorResponses {
		out = append(out, r.codes...)
	}
	return out
}

// renderOpenAPI writes the document.
func renderOpenAPI() ([]byte, error) {
	g := &generator{components: map[string]*yaml.Node{}}
	commands := app.Commands()

	paths := ym(
		"/healthz", ym("get", ym(
			"operationId", "health",
			"tags", []string{"health"},
			"summary", "Health of the server and its event store.",
			"security", ys(),
			"responses", ym(
				"200", ym("description", "The store answers.", "content", ym("application/json", ym("schema", ref("#/components/schemas/Health")))),
				"503", ym("description", "The store does not answer.", "content", ym("application/json", ym("schema", ref("#/components/schemas/Health")))),
			),
		)),
		OpenAPIPath, ym("get", ym(
			"operationId", "openapi",
			"tags", []string{"meta"},
			"summary", "This document.",
			"security", ys(),
			"responses", ym("200", ym("description", "The OpenAPI document.", "content", ym("application/yaml", ym("schema", ym("type", "string"))))),
		)),
	)

	schemas := ym()
	for _, c := range commands {
		t := reflect.TypeOf(c.Prototype)
		yset(schemas, c.Name, g.object(t, fmt.Sprintf("The body of %s (domain.%s).", c.Name, t.Name())))
	}

	tags := []string{}
	for _, c := range commands {
		agg := string(c.Aggregate)
		if !slices.Contains(tags, agg) {
			tags = append(tags, agg)
		}
		responses := ym(
			"201", ref("#/components/responses/Stored"),
			"200", ref("#/components/responses/Unchanged"),
		)
		for _, e := range errorResponses {
			yset(responses, e.status, ref("#/components/responses/"+e.name))
		}
		desc := fmt.Sprintf("%s.\n\nRoles: %s.", strings.ToUpper(c.Policy.Doc[:1])+c.Policy.Doc[1:], strings.Join(strs(c.Policy.Roles), ", "))
		if len(c.Policy.Checks) > 0 {
			desc += fmt.Sprintf(" Checks (403 with the rule): %s.", strings.Join(c.Policy.Checks, ", "))
		}
		if c.Name == domain.CmdSignProposal {
			desc += " The signer is the caller's pseudonym; leave it out, or give the same."
		}
		op := ym(
			"operationId", c.Name,
			"tags", []string{agg},
			"summary", c.Name,
			"description", desc+"\n",
			"security", ys(ym("bearerAuth", ys())),
			"x-roles", strs(c.Policy.Roles),
		)
		if len(c.Policy.Checks) > 0 {
			yset(op, "x-checks", c.Policy.Checks)
		}
		yset(op, "parameters", ys(
			ref("#/components/parameters/CommandID"),
			ref("#/components/parameters/CorrelationID"),
			ref("#/components/parameters/CausationID"),
			ref("#/components/parameters/OccurredAt"),
		))
		yset(op, "requestBody", ym("required", true, "content", ym("application/json", ym("schema", ref("#/components/schemas/"+c.Name)))))
		yset(op, "responses", responses)
		yset(paths, CommandsPath+c.Name, ym("post", op))
	}

	// Shared schemas.
	yset(schemas, "Identifier", ym("type", "string", "description", "An identifier chosen by the caller.", "pattern", "^[A-Za-z0-9._:-]{1,128}$"))
	yset(schemas, "Pseudonym", ym("type", "string", "description", "A citizen's keyed pseudonym: lower-case hex HMAC-SHA256 of the verified identity under the server's secret. Never a raw identity.", "pattern", "^[0-9a-f]{64}$"))
	changeNames := []string{}
	for _, c := range commands {
		if c.Aggregate == app.AggregateTranscript && c.Name != domain.CmdImportVersion && c.Name != domain.CmdImportTranscript {
			changeNames = append(changeNames, c.Name)
		}
	}
	yset(schemas, "Change", ym("type", "object",
		"description", "One command inside another (a change of transcript.import_version): its name and its body, as at the command's own route.",
		"additionalProperties", false,
		"required", []string{"command", "body"},
		"properties", ym(
			"command", ym("type", "string", "enum", changeNames),
			"body", ym("type", "object"),
		)))
	commandResult := g.object(reflect.TypeFor[CommandResult](), "A stored command and its events.")
	for _, name := range g.order {
		yset(schemas, name, g.components[name])
	}
	yset(schemas, "ErrorBody", ym("type", "object", "required", []string{"error"}, "additionalProperties", false,
		"properties", ym("error", ref("#/components/schemas/ErrorDetail"))))
	yset(schemas, "ErrorDetail", ym("type", "object", "required", []string{"code", "message"}, "additionalProperties", false,
		"properties", ym(
			"code", ym("type", "string", "enum", allCodes()),
			"message", ym("type", "string"),
			"rule", ym("type", "string", "description", "The domain's stable rule code of a refused command."),
		)))
	yset(schemas, "CommandResult", commandResult)
	yset(schemas, "Health", ym("type", "object", "properties", ym(
		"status", ym("type", "string", "enum", []string{"ok", "unavailable"}),
		"store", ym("type", "string"),
		"head", ym("type", "integer"),
		"error", ym("type", "string"),
	)))

	responses := ym(
		"Stored", ym("description", "The command was decided and its events stored.", "content", ym("application/json", ym("schema", ref("#/components/schemas/CommandResult")))),
		"Unchanged", ym("description", "The domain found nothing to change (an import of content already imported); nothing was stored.", "content", ym("application/json", ym("schema", ref("#/components/schemas/CommandResult")))),
	)
	for _, e := range errorResponses {
		yset(responses, e.name, ym("description", e.desc+" Codes: "+strings.Join(e.codes, ", ")+".", "content", ym("application/json", ym("schema", ref("#/components/schemas/ErrorBody")))))
	}
	header := func(name, desc string, schema *yaml.Node) *yaml.Node {
		return ym("name", name, "in", "header", "required", false, "description", desc, "schema", schema)
	}
	idSchema := ym("type", "string", "pattern", "^[!-~]{1,128}$")
	params := ym(
		"CommandID", header(HeaderCommandID, "The command's ID in the events' metadata (default: a new UUID).", idSchema),
		"CorrelationID", header(HeaderCorrelationID, "Ties together what one request set off (default: the command ID).", idSchema),
		"CausationID", header(HeaderCausationID, "The ID of what caused the command.", idSchema),
		"OccurredAt", header(HeaderOccurredAt, "When the act happened, if earlier than now (an import); staff tokens only (else 403 "+RuleOccurredAtStaffOnly+").", ym("type", "string", "format", "date-time")),
	)

	tagList := ys(ym("name", "health", "description", "Liveness of the server and its store."), ym("name", "meta", "description", "About the API."))
	for _, t := range tags {
		tagList.Content = append(tagList.Content, ym("name", t, "description", "Commands on the "+t+" aggregate."))
	}

	doc := ym(
		"openapi", "3.1.0",
		"info", ym("title", "collab-ledger API", "version", "1", "description", apiDescription,
			"license", ym("name", "See the repository")),
		"tags", tagList,
		"paths", paths,
		"components", ym(
			"securitySchemes", ym("bearerAuth", ym("type", "http", "scheme", "bearer", "bearerFormat", "clt_ followed by 43 base64url characters",
				"description", "A token from `collabledger tokens create`; only its SHA-256 is stored.")),
			"parameters", params,
			"responses", responses,
			"schemas", schemas,
		),
	)
	var buf bytes.Buffer
	buf.WriteString("# Generated by web/openapi_gen_test.go from the command catalogue; do not edit.\n")
	buf.WriteString("# Regenerate: go test ./web -run TestOpenAPIUpToDate -update-openapi\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
