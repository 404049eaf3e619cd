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
	"github.com/pdis/collab-ledger/transparency"
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
	"github.com/pdis/collab-ledger/tokens"
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
	// types remembers which Go type a component name stands for, so that
	// two types of one name (domain.UtteranceVersion and
	// readmodels.UtteranceVersion) get two components.
	types map[string]reflect.Type
}

// nameOf is the component name of struct type t.
func (g *generator) nameOf(t reflect.Type) string {
	if g.types == nil {
		g.types = map[string]reflect.Type{}
	}
	name := t.Name()
	if prev, ok := g.types[name]; ok && prev != t {
		pkg := t.PkgPath()
		name = strings.ToUpper(pkg[strings.LastIndex(pkg, "/")+1:][:1]) + pkg[strings.LastIndex(pkg, "/")+2:] + name
	}
	g.types[name] = t
	return name
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
	case reflect.TypeFor[tokens.Hash]():
		return ym("type", "string", "pattern", "^[0-9a-f]{64}$", "description", "A token's SHA-256 in lower-case hex.")
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
	case reflect.Pointer:
		return g.schemaOf(t.Elem())
	case reflect.Struct:
		return g.component(g.nameOf(t), func() *yaml.Node { return g.object(t, "") })
	case reflect.Map:
		return ym("type", "object", "additionalProperties", g.schemaOf(t.Elem()))
	}
	panic(fmt.Sprintf("openapi generator: no schema for %s", t))
}

// object is the schema of a struct: its exported fields, by JSON name.
func (g *generator) object(t reflect.Type, description string) *yaml.Node {
	props := ym()
	g.fields(props, t)
	n := ym("type", "object")
	if description != "" {
		yset(n, "description", description)
	}
	yset(n, "additionalProperties", false)
	yset(n, "properties", props)
	return n
}

// fields adds t's exported fields to props, by JSON name; the fields of an
// embedded struct without a JSON name are its own, as encoding/json has
// them.
func (g *generator) fields(props *yaml.Node, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			g.fields(props, f.Type)
			continue
		}
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		name, schema := jsonName(f), g.schemaOf(f.Type)
		if desc := deadlineDoc(name, f.Type); desc != "" {
			yset(schema, "description", desc)
		}
		yset(props, name, schema)
	}
}

// deadlineDoc documents a deadline member: an instant is the end of the
// last day that counts, which pages show as that day; a date is that day.
func deadlineDoc(name string, t reflect.Type) string {
	lower := strings.ToLower(name)
	switch {
	case t == reflect.TypeFor[time.Time]() && strings.HasSuffix(lower, "dueat"):
		return "The instant the deadline passes: 24:00 Asia/Taipei at the end of its last day. A deadline of 23 November 2024 is 2024-11-24T00:00:00+08:00 (2024-11-23T16:00:00Z); pages and reports show the last day, 2024-11-23."
	case t == reflect.TypeFor[calendar.Date]() && strings.HasSuffix(lower, "duedate"):
		return "The last day that counts (Asia/Taipei); the deadline passes at its end, 24:00."
	case t == reflect.TypeFor[calendar.Date]() && strings.HasSuffix(lower, "lastday"):
		return "The last day that counts (Asia/Taipei) of the deadline's instant, as pages and reports show it: the day before for a deadline at 24:00 (2024-11-24T00:00:00+08:00 is 2024-11-23), the day itself for one during a day (2024-11-23T17:00:00+08:00 is 2024-11-23)."
	}
	return ""
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
method_not_allowed 405 (with Allow), conflict and wrong_expected_version
409, too_large 413, unsupported_media_type 415, rule_violated 422,
headers_too_large 431, internal 500, unavailable 503; rule is the domain's
stable rule code of a refused command ("proposal.sign.self_only"). Every
error comes in this format, the router's own refusals included (an
unknown path under /api/, a method a path is not served for, a body or a
header over the limit); every answer says X-Content-Type-Options: nosniff.
The message is in the language asked for, as the pages choose it: ?lang=
(zh-Hant or en), then the lang cookie, then Accept-Language; Traditional
Chinese wins ties and is the default. Content-Language names it; code and
rule are the same in both languages (branch on them, not on the message).

Tokens: "collabledger tokens create --role po --ministry moi --actor ID"
prints a token (clt_ and 43 base64url characters) once; the log keeps
only its SHA-256, in the "tokens" stream, with the actor and role it
stands for. Citizens: a citizen's token is asked for by their verified
identity (POST /api/v1/admin/tokens with "identity", or "tokens create
--role citizen --identity X"), and the server computes their keyed
pseudonym, HMAC-SHA256(server secret, verified identity) in lower-case
hex, with its own secret; the identity is stored nowhere, and no client
ever computes a pseudonym. A citizen's token acts as that pseudonym:
proposal.sign takes it as the signer (the body's signer may be left out).
A PO's token is issued only for a PO registered for the current year, and
expires with the registration (the end of its last year, Taipei time);
every PO's command is checked against the PO registry as it stands
(policy.po.unregistered, policy.po.retired, policy.po.other_ministry,
policy.po.not_registered_for_year), and a PO's retirement revokes their
tokens.

The read models are queried with GET routes under /api/v1/ (cases,
trails, meetings, proposals, monthly meetings, due responses): public
view by default; ?view=auditor shows the auditor view to an auditor's or
PDIS staff's bearer token (401 without a valid token, 403 for other
roles, rule query.view.auditor_role). A case and its trail can be asked
for as of an earlier point: ?asof= a log position, or an RFC 3339 time
on the clock ?clock=recorded (what the ledger had recorded then, the
default) or ?clock=occurred (what had happened by then); the answer's
asOf says which. The same content is served as HTML pages at /,
/cases/{id}, /meetings/{id}, /proposals/{id} and /monthly/{id}.
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
		ReadyPath, ym("get", ym(
			"operationId", "ready",
			"tags", []string{"health"},
			"summary", "Readiness: the store answers and every projection is running, not stalled and close to the log's head.",
			"security", ys(),
			"responses", ym(
				"200", ym("description", "Ready.", "content", ym("application/json", ym("schema", ref("#/components/schemas/Readiness")))),
				"503", ym("description", "Not ready: the problems say why.", "content", ym("application/json", ym("schema", ref("#/components/schemas/Readiness")))),
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

	yset(paths, StatusPath, ym("get", ym(
		"operationId", "status",
		"tags", []string{"operations"},
		"summary", "Each projection's checkpoint, the log's head and the lag.",
		"security", ys(),
		"responses", ym(
			"200", ym("description", "The read side's status.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(StatusReport{}), "The log's head and each projection's status.")))),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
	proofQuery := func(name, desc, typ string) *yaml.Node {
		return ym("name", name, "in", "query", "required", false, "description", desc, "schema", ym("type", typ))
	}
	proofErrors := func(codes string) *yaml.Node {
		return ym("description", "Bad input ("+codes+"), an unknown event, or no checkpoint yet; an ErrorBody with a stable code.",
			"content", ym("application/json", ym("schema", ref("#/components/schemas/ErrorBody"))))
	}
	yset(paths, LatestCheckpointPath, ym("get", ym(
		"operationId", "latestCheckpoint",
		"tags", []string{"transparency"},
		"summary", "The latest signed checkpoint (tree size and root hash, C2SP tlog-checkpoint signed note, with its witnesses' cosignature lines); text/plain with Accept: text/plain or ?format=note.",
		"security", ys(),
		"parameters", ys(proofQuery("format", "note: the signed note as text/plain", "string")),
		"responses", ym(
			"200", ym("description", "The checkpoint.", "content", ym(
				"application/json", ym("schema", g.object(reflect.TypeOf(CheckpointJSON{}), "The latest checkpoint.")),
				"text/plain", ym("schema", ym("type", "string")))),
			"404", proofErrors("no_checkpoint"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
	yset(paths, CheckpointPath, ym("get", ym(
		"operationId", "checkpoint",
		"tags", []string{"transparency"},
		"summary", "The C2SP checkpoint endpoint: the latest signed checkpoint note followed by its witnesses' cosignature lines (C2SP tlog-cosignature), as text/plain.",
		"security", ys(),
		"responses", ym(
			"200", ym("description", "The cosigned checkpoint note.", "content", ym("text/plain", ym("schema", ym("type", "string")))),
			"404", proofErrors("no_checkpoint"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
	yset(paths, InclusionProofPath, ym("get", ym(
		"operationId", "inclusionProof",
		"tags", []string{"transparency"},
		"summary", "Proof that an event (by ID or position) is a leaf of the tree of a given size (default: the latest checkpoint's).",
		"security", ys(),
		"parameters", ys(proofQuery("event", "the event ID", "string"), proofQuery("position", "the event's global position", "integer"), proofQuery("size", "the tree size (default: the latest checkpoint's)", "integer")),
		"responses", ym(
			"200", ym("description", "The audit path.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(transparency.InclusionProof{}), "An RFC 6962 inclusion proof.")))),
			"400", proofErrors("missing_parameter, conflicting_parameters, invalid_event_id, invalid_position, invalid_size"),
			"404", proofErrors("unknown_event, no_checkpoint"),
			"409", proofErrors("not_yet_checkpointed"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
	yset(paths, ConsistencyProofPath, ym("get", ym(
		"operationId", "consistencyProof",
		"tags", []string{"transparency"},
		"summary", "Proof that the tree of from leaves is a prefix of the tree of to leaves (default: the latest checkpoint's).",
		"security", ys(),
		"parameters", ys(proofQuery("from", "the older tree size", "integer"), proofQuery("to", "the newer tree size (default: the latest checkpoint's)", "integer")),
		"responses", ym(
			"200", ym("description", "The consistency proof.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(transparency.ConsistencyProof{}), "An RFC 6962 consistency proof.")))),
			"400", proofErrors("missing_parameter, invalid_size"),
			"404", proofErrors("no_checkpoint"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
	yset(paths, RebuildPath, ym("post", ym(
		"operationId", "rebuildProjection",
		"tags", []string{"operations"},
		"summary", "Rebuild a projection beside the running one and switch when it has caught up (PDIS staff).",
		"security", ys(ym("bearerAuth", ys())),
		"parameters", ys(ym("name", "name", "in", "path", "required", true, "description", "The projection (tallies, caseboard, transcripts, trail, …).", "schema", ym("type", "string"))),
		"responses", ym(
			"202", ym("description", "The rebuild started; queries keep reading the current read model until it has caught up.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(RebuildStarted{}), "The generation being built.")))),
			"401", ref("#/components/responses/Unauthenticated"),
			"403", ref("#/components/responses/Forbidden"),
			"404", ref("#/components/responses/NotFound"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))

	adminErrors := func(more ...any) *yaml.Node {
		n := ym(
			"400", ref("#/components/responses/BadRequest"),
			"401", ref("#/components/responses/Unauthenticated"),
			"403", ref("#/components/responses/Forbidden"),
		)
		for i := 0; i+1 < len(more); i += 2 {
			yset(n, more[i].(string), more[i+1])
		}
		yset(n, "503", ref("#/components/responses/Unavailable"))
		return n
	}
	createResponses := adminErrors("413", ref("#/components/responses/TooLarge"), "415", ref("#/components/responses/UnsupportedMediaType"))
	yset(createResponses, "201", ym("description", "The token, shown this once; the log keeps only its SHA-256.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(TokenCreated{}), "The new token and its record.")))))
	listResponses := ym(
		"200", ym("description", "Every token issued, with its status.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(TokenList{}), "The tokens, oldest first.")))),
		"401", ref("#/components/responses/Unauthenticated"),
		"403", ref("#/components/responses/Forbidden"),
		"503", ref("#/components/responses/Unavailable"),
	)
	yset(paths, TokensPath, ym(
		"get", ym(
			"operationId", "listTokens",
			"tags", []string{"operations"},
			"summary", "The API's bearer tokens: hash, actor, expiry and status (PDIS staff).",
			"security", ys(ym("bearerAuth", ys())),
			"responses", listResponses,
		),
		"post", ym(
			"operationId", "createToken",
			"tags", []string{"operations"},
			"summary", "Issue a bearer token for an actor (PDIS staff). A citizen's or proposer's token is asked for by identity: the server computes their pseudonym and stores no identity; anyone else's by actorId.",
			"security", ys(ym("bearerAuth", ys())),
			"requestBody", ym("required", true, "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(TokenRequest{}), "Whom the token stands for.")))),
			"responses", createResponses,
		),
	))
	revokeResponses := adminErrors("404", ref("#/components/responses/NotFound"), "409", ref("#/components/responses/Conflict"),
		"413", ref("#/components/responses/TooLarge"), "415", ref("#/components/responses/UnsupportedMediaType"))
	yset(revokeResponses, "200", ym("description", "The revoked token's record.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(TokenInfo{}), "The token, now revoked.")))))
	yset(paths, TokenRevokePath, ym("post", ym(
		"operationId", "revokeToken",
		"tags", []string{"operations"},
		"summary", "Revoke the one token whose SHA-256 starts with hash (8 to 64 hex digits; PDIS staff).",
		"security", ys(ym("bearerAuth", ys())),
		"parameters", ys(ym("name", "hash", "in", "path", "required", true, "description", "A prefix of the token's hash.", "schema", ym("type", "string"))),
		"requestBody", ym("required", false, "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(RevokeRequest{}), "Why.")))),
		"responses", revokeResponses,
	)))

	feedResponses := adminErrors("413", ref("#/components/responses/TooLarge"), "415", ref("#/components/responses/UnsupportedMediaType"))
	yset(feedResponses, "201", ym("description", "Recorded: what each proposal of the feed stored, what the domain refused and why, and what the ledger did not record.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(FeedResult{}), "Per proposal, in the feed's order.")))))
	yset(feedResponses, "200", ym("description", "Nothing new: every record was already recorded.", "content", ym("application/json", ym("schema", g.object(reflect.TypeOf(FeedResult{}), "Per proposal, in the feed's order.")))))
	yset(paths, JoinFeedPath, ym("post", ym(
		"operationId", "joinFeed",
		"tags", []string{"feeds"},
		"summary", "Record Join's proposals and signatures (an integration's staff token).",
		"description", "JSON Lines in the Join dataset's shape: each proposal as a line of proposals.jsonl (id, title, ministries, publishedAt, signingClosesAt, goal, status, establishedAt, responseDueAt, responses, …), followed by its signature rows {\"proposal\": id, \"n\": row, \"at\": RFC 3339, \"county\": …, \"district\": …}. The whole body is checked first: a bad line refuses it (400 "+CodeBadRecord+", naming the line) and nothing is recorded. Each signature is decided by the domain at its time, by the pseudonym the server derives from Join's row number; sending the same feed again records nothing, a grown record only what is new.\n",
		"security", ys(ym("bearerAuth", ys())),
		"requestBody", ym("required", true, "content", ym("application/jsonl", ym("schema", ym("type", "string")))),
		"responses", feedResponses,
	)))

	g.queryPaths(paths)
	g.opsPaths(paths)

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
			ref("#/components/parameters/OccurredAtReason"),
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
			"message", ym("type", "string", "description", "The error for a person, in the language asked for (?lang=, the lang cookie, Accept-Language; zh-Hant by default); Content-Language names it."),
			"rule", ym("type", "string", "description", "The domain's stable rule code of a refused command."),
		)))
	yset(schemas, "CommandResult", commandResult)
	yset(schemas, "Readiness", g.object(reflect.TypeOf(Readiness{}), "Whether the server is ready, and each projection's state."))
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
		"CommandID", header(HeaderCommandID, "The command's ID in the events' metadata (default: a new UUID). An idempotency key: the same command sent again with the same ID gets the original answer (status and body, also after a restart) and stores nothing; the same ID with a different command (body, token or occurred-at) is refused with 422 and rule "+app.RuleCommandIDReused+". A question (meeting.post_question) records a keyed digest of it, not the ID itself.", idSchema),
		"CorrelationID", header(HeaderCorrelationID, "Ties together what one request set off (default: the command ID).", idSchema),
		"CausationID", header(HeaderCausationID, "The ID of what caused the command.", idSchema),
		"OccurredAt", header(HeaderOccurredAt, "When the act happened, if earlier than now (an import, a paper record entered late); staff tokens only (else 403 "+RuleOccurredAtStaffOnly+"), with "+HeaderOccurredAtReason+" (else 422 "+RuleOccurredAtReasonRequired+"); never in the future (422 "+app.RuleOccurredAtFuture+"). The events keep the reason (backdateReason) and every view marks them as back-dated. A speaker's own edit is judged by the time it is recorded as well: back-dating does not reopen the edit window.", ym("type", "string", "format", "date-time")),
		"OccurredAtReason", header(HeaderOccurredAtReason, "Why the command is back-dated (1 to 500 bytes; percent-encode what is not ASCII). Required with "+HeaderOccurredAt+".", ym("type", "string")),
	)

	tagList := ys(ym("name", "health", "description", "Liveness of the server and its store."), ym("name", "meta", "description", "About the API."),
		ym("name", "queries", "description", "Queries of the read models (public view by default)."))
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

// queryPaths documents the query routes (api_queries.go).
func (g *generator) queryPaths(paths *yaml.Node) {
	param := func(name, in, desc string, schema *yaml.Node) *yaml.Node {
		return ym("name", name, "in", in, "required", in == "path", "description", desc, "schema", schema)
	}
	str := func() *yaml.Node { return ym("type", "string") }
	integer := func(lo, hi int) *yaml.Node { return ym("type", "integer", "minimum", lo, "maximum", hi) }
	view := param("view", "query", "public (the default) or auditor (needs an auditor's or PDIS staff's bearer token).", ym("type", "string", "enum", []string{"public", "auditor"}))
	asof := param("asof", "query", "Show it as of this point: a log position, a date (the end of that day in Taipei) or an RFC 3339 time, on the clock given by clock. Before it existed: 404 with rule query.asof.not_yet; malformed: 400 with rule query.asof.malformed.", str())
	clock := param("clock", "query", "The clock of an asof time: recorded (what the ledger had recorded then; the default) or occurred (what had happened by then).", ym("type", "string", "enum", []string{"recorded", "occurred"}))
	after := param("after", "query", "Return entries after this log position (the next of the previous page).", ym("type", "integer", "minimum", 0))
	limit := param("limit", "query", "At most this many entries (default 100).", integer(1, maxTrailLimit))
	step := param("step", "query", "Only entries of these steps (repeatable).", str())
	op := func(id, summary string, params []*yaml.Node, body reflect.Type, bodyDesc string, errs ...string) *yaml.Node {
		responses := ym("200", ym("description", bodyDesc, "content", ym("application/json", ym("schema", g.schemaOf(body)))))
		for _, e := range errs {
			for _, r := range errorResponses {
				if r.status == e {
					yset(responses, e, ref("#/components/responses/"+r.name))
				}
			}
		}
		ps := ys()
		ps.Content = params
		o := ym("operationId", id, "tags", []string{"queries"}, "summary", summary, "security", ys(ym(), ym("bearerAuth", ys())))
		if len(params) > 0 {
			yset(o, "parameters", ps)
		}
		yset(o, "responses", responses)
		return ym("get", o)
	}
	id := func(desc string) *yaml.Node { return param("id", "path", desc, str()) }
	yset(paths, CasesPath, op("listCases", "The case board: cases by case number (or the most recent activity first), filtered.", []*yaml.Node{
		param("stage", "query", "Cases in this stage.", g.schemaOf(reflect.TypeFor[domain.CaseStage]())),
		param("ministry", "query", "Cases this ministry leads or co-organises.", str()),
		param("source", "query", "Cases of this source.", g.schemaOf(reflect.TypeFor[domain.CaseSourceKind]())),
		param("year", "query", "Cases opened in this year (Taipei time).", integer(0, 9999)),
		param("q", "query", "Cases whose title contains this text.", str()),
		param("open", "query", "true: only cases not closed.", ym("type", "boolean")),
		param("sort", "query", "number (the default): by case number; activity: the most recent activity first.", ym("type", "string", "enum", ys("number", "activity"))),
		param("offset", "query", "Skip this many cases.", ym("type", "integer", "minimum", 0)),
		param("limit", "query", "At most this many cases (default 100).", integer(1, 1000)),
	}, reflect.TypeFor[CaseList](), "The cases selected.", "400", "503"))
	yset(paths, CasePath, op("getCase", "A case's card: stages, organisers, meetings, inclusion, recommendations, report, directive, responses.",
		[]*yaml.Node{id("The case."), view, asof, clock}, reflect.TypeFor[CaseView](), "The case.", "400", "401", "403", "404", "503"))
	yset(paths, CaseTrailPath, op("getCaseTrail", "A case's accountability trail (with its source proposal's and monthly meeting's), in log order, paged.",
		[]*yaml.Node{id("The case."), view, after, limit, step, asof, clock}, reflect.TypeFor[TrailView](), "A page of the trail.", "400", "401", "403", "404", "503"))
	yset(paths, SubjectTrailPath, op("getSubjectTrail", "One subject's trail: proposal-{id}, po-monthly-{id}, meeting-{id} or case-{id}.",
		[]*yaml.Node{param("subject", "path", "The subject (a stream name).", str()), view, after, limit, step}, reflect.TypeFor[TrailView](), "A page of the trail.", "400", "401", "403", "404", "503"))
	yset(paths, MeetingPath, op("getMeeting", "A meeting: participants, recordings, the transcript with every version, notes and questions.",
		[]*yaml.Node{id("The meeting."), view, asof, clock}, reflect.TypeFor[MeetingView](), "The meeting.", "400", "401", "403", "404", "503"))
	yset(paths, ProposalPath, op("getProposal", "A proposal's tally: signatures, milestones, establishment or expiry, the response and its deadline.",
		[]*yaml.Node{id("The proposal."), view, asof, clock}, reflect.TypeFor[ProposalView](), "The proposal.", "400", "401", "403", "404", "503"))
	yset(paths, InvalidationsPath, op("getInvalidations", "The signatures removed from a proposal's tally (signers and reasons: auditor view).",
		[]*yaml.Node{id("The proposal."), view, asof, clock}, reflect.TypeFor[InvalidationList](), "The invalidations, in log order.", "400", "401", "403", "404", "503"))
	yset(paths, MonthlyPath, op("getMonthly", "A PO monthly meeting's vote: candidates, ballots, tally, selected topics.",
		[]*yaml.Node{id("The monthly meeting."), asof, clock}, reflect.TypeFor[MonthlyView](), "The vote.", "400", "404", "503"))
	yset(paths, DueResponsesPath, op("listDueResponses", "Open response deadlines of established proposals, earliest first.",
		[]*yaml.Node{param("until", "query", "Only deadlines before this RFC 3339 time.", ym("type", "string", "format", "date-time"))}, reflect.TypeFor[DueList](), "The open deadlines.", "400", "503"))
}
