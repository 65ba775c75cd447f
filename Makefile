# certrotate — build, test, demo and package the two functions.
GO      ?= go
GOARCH  ?= amd64
BIN     := bin
DIST    := dist
FUNCS   := rotate notify
# SPEC §1: static, stripped, no RPC shim, reproducible paths.
GOBUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all build test lint demo package clean $(FUNCS:%=$(BIN)/%/bootstrap) \
	build-RotateFunction build-NotifyFunction $(FUNCS:%=fc-%)

all: build

## build: both functions for Linux ($(BIN)/<name>/bootstrap)
build: $(FUNCS:%=$(BIN)/%/bootstrap)

$(FUNCS:%=$(BIN)/%/bootstrap): $(BIN)/%/bootstrap:
	$(GOBUILD) -o $@ ./functions/$*

## test: lint, every test with the race detector, a scan of what the tests logged, answered and
## reported for key material and secrets (shared/leakcheck), then each fuzz target for 3 s
test: lint
	@dir=$$(mktemp -d); \
	CERTROTATE_TRANSCRIPT_DIR=$$dir $(GO) test -race -count=1 ./... && \
	CERTROTATE_TRANSCRIPT_SCAN=$$dir $(GO) test -count=1 -run '^TestTranscripts$$' ./shared/leakcheck; \
	rc=$$?; rm -rf $$dir; exit $$rc
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s

## fuzz: each fuzz target for FUZZTIME (go test -fuzz takes one package and one target per run)
FUZZTIME ?= 10s
FUZZ     := ./shared/event:FuzzDecode ./shared/event:FuzzDecodeBody ./shared/certs:FuzzParse \
	./shared/webhook:FuzzVerify ./shared/webhook:FuzzSignedRequests ./shared/provider:FuzzParseTargets
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

## soak: 1000 rotations against the emulator with 20 % throttling/5xx and random crashes; the last
## line is the summary (make test runs a shorter soak: shared/soak)
SOAKRUNS ?= 1000
.PHONY: soak
soak:
	$(GO) run ./scripts/soak -runs $(SOAKRUNS)

## bench: cold start, sizes, rotation wall time and peak RSS against the emulator (about 2-3 min);
## the last line is the summary (README, Performance)
.PHONY: bench
bench:
	$(GO) run ./scripts/bench

## lint: gofmt and go vet
lint:
	@out=$$(find . -name '*.go' -not -path './.git/*' -not -path './.demo/*' | xargs gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## demo: the whole mission against the local emulator
demo:
	./scripts/demo.sh

## package: deployable zips — Lambda (bootstrap) and Function Compute go1 (main) for each function
package: build
	@mkdir -p $(DIST)
	@for f in $(FUNCS); do \
		./scripts/zip.sh $(DIST)/$$f-lambda-$(GOARCH).zip $(BIN)/$$f/bootstrap bootstrap || exit 1; \
		./scripts/zip.sh $(DIST)/$$f-fc.zip $(BIN)/$$f/bootstrap main || exit 1; \
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
