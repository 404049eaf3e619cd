// Package archtest keeps the layering rules of the module (see
// docs/architecture.md): its test reads the import graph with `go list`
// and fails, naming the import, when a package breaks one. `make lint` runs
// it.
package archtest
