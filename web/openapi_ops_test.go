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
}
