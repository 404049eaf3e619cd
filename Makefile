# collab-ledger: the commands a newcomer needs, first.
#
#   make run     serve the ledger on the embedded store (./data/ledger.db)
#   make test    go vet + every test with the race detector
#   make bench   the benchmarks (figures: docs/performance.md)
#   make lint    go vet + staticcheck

GO        ?= go
STORE     ?= file:./data/ledger.db
ADDR      ?= 127.0.0.1:8080
# The PostgreSQL tests use DATABASE_URL; this is the local server's default.
DATABASE_URL ?= postgres://127.0.0.1:5432/test?sslmode=disable
export DATABASE_URL
STATICCHECK_VERSION ?= v0.8.2
BENCHTIME ?= 20000x
SKIPLOG   := $(CURDIR)/.skipped-tests

.PHONY: run build test bench lint vet clean

run:
	$(GO) run ./cmd/collabledger serve --addr $(ADDR) --store $(STORE)

build:
	$(GO) build -o bin/collabledger ./cmd/collabledger

vet:
	$(GO) vet ./...

# Tests needing a service that is absent are skipped and listed at the end;
# COLLABLEDGER_REQUIRE_POSTGRES=1 (and _NATS, _SHARED, ...) make them fail
# instead, as .ci/run does.
test: vet
	@rm -f $(SKIPLOG)
	COLLABLEDGER_SKIP_LOG=$(SKIPLOG) $(GO) test -race -count=1 -timeout 30m ./...
	@if [ -s $(SKIPLOG) ]; then \
		echo; echo "SKIPPED (service or data unavailable; COLLABLEDGER_REQUIRE_<SERVICE>=1 makes these fail):"; \
		awk -F'\t' '{n[$$1]++; if (!($$1 in why)) why[$$1]=$$3} END {for (s in n) printf "  %-9s %4d tests: %s\n", s, n[s], why[s]}' $(SKIPLOG); \
	else echo "Nothing skipped."; fi

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 60m ./...

lint: vet
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	"$$( command -v staticcheck || echo $$($(GO) env GOPATH)/bin/staticcheck )" ./...

clean:
	rm -rf bin $(SKIPLOG)
