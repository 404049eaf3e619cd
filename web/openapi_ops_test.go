package web

import "gopkg.in/yaml.v3"

// opsPaths documents the operations routes of decision 0036: the metrics
// and the export of the log.
func (g *generator) opsPaths(paths *yaml.Node) {
	yset(paths, MetricsPath, ym("get", ym(
		"operationId", "metrics",
		"tags", []string{"operations"},
		"summary", "The server's metrics in the Prometheus text format: appends, commands by command and outcome, each read model's lag, the latest checkpoint's age, lease changes.",
		"description", "Served to a reader on the server's own host (a request that arrives on a loopback address from one) without a token; from anywhere else, an auditor's or PDIS staff's bearer token is needed (Prometheus: authorization.credentials_file).\n",
		"security", ys(ym(), ym("bearerAuth", ys())),
		"responses", ym(
			"200", ym("description", "The metrics (text/plain; version=0.0.4).", "content", ym("text/plain", ym("schema", ym("type", "string")))),
			"401", ref("#/components/responses/Unauthenticated"),
			"403", ref("#/components/responses/Forbidden"),
		),
	)))
	yset(paths, ExportPath, ym("get", ym(
		"operationId", "exportLog",
		"tags", []string{"operations"},
		"summary", "The log as JSON Lines of CloudEvents, the export `collabledger export` writes, streamed from a position (an auditor's or PDIS staff's token).",
		"description", "One line per event in global order, up to the log's head when the request arrived (X-Ledger-Head), written and flushed batch by batch. The public form carries sealed personal data as commitments only; the auditor form (secrets=true) also carries each committed field's value and salt, for auditors' tokens only, on a server run with --export-secrets. An error after the first line cuts the connection without the closing chunk: a reader sees a cut export, never a short one that looks whole. `collabledger verify --export FILE` and `verify --server URL --token T` check it.\n",
		"security", ys(ym("bearerAuth", ys())),
		"parameters", ys(
			ym("name", "from", "in", "query", "required", false, "description", "The first position to export (default 1: the whole log).", "schema", ym("type", "integer", "minimum", 1)),
			ym("name", "secrets", "in", "query", "required", false, "description", "true: the auditor export, with the values and salts of sealed fields (auditors only).", "schema", ym("type", "boolean")),
		),
		"responses", ym(
			"200", ym("description", "The export (application/jsonl), public or auditor as X-Export-Form says.", "content", ym("application/jsonl", ym("schema", ym("type", "string")))),
			"400", ref("#/components/responses/BadRequest"),
			"401", ref("#/components/responses/Unauthenticated"),
			"403", ref("#/components/responses/Forbidden"),
			"503", ref("#/components/responses/Unavailable"),
		),
	)))
}
