# certrotate — build, test, demo and package the two functions.
GO      ?= go
GOARCH  ?= amd64
BIN     := bin
DIST    := dist
FUNCS   := rotate notify
# First-run times on an idle 2-vCPU machine with empty Go caches (README, Two commands), said
# before each step; a busy machine takes longer.
FIRST_RUN_TEST := 10 minutes
FIRST_RUN_VET  := 2 minutes
FIRST_RUN_DEMO := 3 minutes
# Static, stripped, no RPC shim (Lambda's provided.al2023 and FC's go1 need none), reproducible paths.
GOBUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all build test lint demo package clean $(FUNCS:%=$(BIN)/%/bootstrap) \
	build-RotateFunction build-NotifyFunction $(FUNCS:%=fc-%)

all: build

## build: both functions for Linux ($(BIN)/<name>/bootstrap)
build: $(FUNCS:%=$(BIN)/%/bootstrap)

$(FUNCS:%=$(BIN)/%/bootstrap): $(BIN)/%/bootstrap:
	@echo "build: $*"
	$(GOBUILD) -o $@ ./functions/$*

## test: lint, every test (with the race detector when a C compiler is there), a scan of what the
## tests logged, answered and reported for key material and secrets (shared/leakcheck), then each
## fuzz target for 10000 inputs. What a minimal machine cannot run is skipped with one line saying how to get
## it; under CI=true nothing is skipped: a missing tool fails the run.
test: lint
	@race=-race; cc=$$($(GO) env CC); \
	if ! command -v "$${cc%% *}" >/dev/null 2>&1; then \
		if [ "$$CI" = true ]; then \
			echo "test: the race detector needs a C compiler ($$cc), and CI=true runs everything: install gcc (.ci/run does it with apt-get)"; exit 1; \
		fi; \
		race=; echo "skipped: the race detector needs a C compiler ($$cc is not on PATH; install gcc, e.g. apt-get install gcc): testing without -race"; \
	fi; \
	dir=$$(mktemp -d); \
	echo "test: every package$${race:+ with the race detector}; a first run compiles the cloud SDKs (about $(FIRST_RUN_TEST))"; \
	env $${race:+CGO_ENABLED=1} CERTROTATE_TRANSCRIPT_DIR=$$dir $(GO) run ./scripts/gotest -- $$race -count=1 ./... && \
	echo "test: scanning what the tests logged, answered and reported for key material (shared/leakcheck)" && \
	CERTROTATE_TRANSCRIPT_SCAN=$$dir $(GO) test -count=1 -run '^TestTranscripts$$' ./shared/leakcheck; \
	rc=$$?; rm -rf $$dir; exit $$rc
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10000x

## fuzz: each fuzz target for FUZZTIME (go test -fuzz takes one package and one target per run).
## make test gives a count (10000x), not a duration: with a duration, Go 1.26's fuzz coordinator
## can fail a target with "context deadline exceeded" on a loaded machine when time runs out
## (https://go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 10s
FUZZ     := ./shared/event:FuzzDecode ./shared/event:FuzzDecodeBody ./shared/certs:FuzzParse \
	./shared/webhook:FuzzVerify ./shared/webhook:FuzzSignedRequests ./shared/provider:FuzzParseTargets
.PHONY: fuzz
fuzz:
	@n=0; for t in $(FUZZ); do n=$$((n+1)); done; i=0; \
	for t in $(FUZZ); do i=$$((i+1)); \
		echo "fuzz $$i of $$n: $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

## soak: 1000 rotations against the emulator with 20 % throttling/5xx and random crashes; the last
## line is the summary (make test runs a shorter soak: shared/soak)
SOAKRUNS ?= 1000
.PHONY: soak
soak:
	$(GO) run ./scripts/soak -runs $(SOAKRUNS)

## bench: cold start, sizes, calls, critical path and wall time of the rotations (defaults vs the
## sequential baseline), peak RSS, each goal met or not, against the emulator (about 5 min on
## 2 cores); the last line is the summary (README, Performance)
.PHONY: bench
bench:
	$(GO) run ./scripts/bench

## lint: gofmt and go vet
lint:
	@echo "lint: gofmt"; out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@echo "lint: go vet (a first run compiles the dependencies: about $(FIRST_RUN_VET))"
	@$(GO) vet ./...

## demo: the whole mission against the local emulator (a Go program: scripts/demo)
demo:
	@echo "demo: compiling the demo (a first run compiles the cloud SDKs: about $(FIRST_RUN_DEMO))"
	@$(GO) run ./scripts/demo

## package: deployable zips — Lambda (bootstrap) and Function Compute go1 (main) for each function
package: build
	@mkdir -p $(DIST)
	@for f in $(FUNCS); do \
		$(GO) run ./scripts/zip $(DIST)/$$f-lambda-$(GOARCH).zip $(BIN)/$$f/bootstrap bootstrap || exit 1; \
		$(GO) run ./scripts/zip $(DIST)/$$f-fc.zip $(BIN)/$$f/bootstrap main || exit 1; \
	done
	@ls -l $(DIST)

## build-RotateFunction, build-NotifyFunction: for `sam build` (template.yaml, BuildMethod: makefile).
## SAM does not pass the architecture: run `GOARCH=arm64 sam build` when Architecture=arm64.
build-RotateFunction build-NotifyFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: $@ is run by sam build))
	$(GOBUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(if $(findstring Rotate,$@),rotate,notify)

## fc-rotate, fc-notify: the code folders `s deploy` uploads (s.yaml pre-deploy), $(DIST)/fc/<name>/main.
## Function Compute's go1 runtime is x86_64.
$(FUNCS:%=fc-%): fc-%:
	@mkdir -p $(DIST)/fc/$*
	$(patsubst GOARCH=%,GOARCH=amd64,$(GOBUILD)) -o $(DIST)/fc/$*/main ./functions/$*

clean:
	rm -rf $(BIN) $(DIST) .demo
