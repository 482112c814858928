# custodes — common tasks. `make test` is what CI runs (via .ci/run).
GO         ?= go
PKGS       := ./...
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(HOME)/go/bin/staticcheck)
STATICCHECK_VERSION := v0.8.2
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X github.com/custodes/custodes/internal/cli.Version=$(VERSION)

.PHONY: run build test test-unit test-e2e test-soak lint fuzz bench soak tools clean

## run: one node, embedded SQLite in ./data, the example config (web UI/API on :8080)
run:
	$(GO) run ./cmd/custodes serve -c examples/custodes.yaml

## build: a static binary in bin/custodes
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/custodes ./cmd/custodes

## test: everything CI runs — lint, unit tests with the race detector, short fuzzing, end-to-end, a 2-minute soak
test: lint test-unit fuzz test-e2e test-soak

test-unit:
	$(GO) test -race -count=1 -timeout 15m $(shell $(GO) list ./... | grep -v /e2e)

## test-e2e: the real binary, real processes, real signals
test-e2e:
	$(GO) test -count=1 -timeout 20m ./e2e/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

## fuzz: every fuzz target for a short, bounded time (FUZZTIME=30s for longer)
FUZZTIME ?= 10s
fuzz:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

## bench: the benchmark harness (see bench/README.md)
bench:
	$(GO) run ./bench $(BENCHFLAGS)

## soak: randomized fault soak, SOAK_DURATION (default 10m), a random seed unless SOAKFLAGS='-seed N'
SOAK_DURATION ?= 10m
soak:
	$(GO) run ./bench/soak -duration $(SOAK_DURATION) $(SOAKFLAGS)

## test-soak: the CI soak: 2 minutes, a fixed seed so a failure replays the same schedule
SOAK_CI_SEED ?= 7
test-soak:
	$(GO) run ./bench/soak -duration 2m -seed $(SOAK_CI_SEED)

tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean:
	rm -rf bin data
