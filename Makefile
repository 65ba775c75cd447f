# certrotate — build, test, demo and package the two functions.
GO      ?= go
GOARCH  ?= amd64
BIN     := bin
DIST    := dist
FUNCS   := rotate notify
# SPEC §1: static, stripped, no RPC shim, reproducible paths.
GOBUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all build test lint demo package clean $(FUNCS:%=$(BIN)/%/bootstrap)

all: build

## build: both functions for Linux ($(BIN)/<name>/bootstrap)
build: $(FUNCS:%=$(BIN)/%/bootstrap)

$(FUNCS:%=$(BIN)/%/bootstrap): $(BIN)/%/bootstrap:
	$(GOBUILD) -o $@ ./functions/$*

## test: lint, then every test with the race detector
test: lint
	$(GO) test -race -count=1 ./...

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

clean:
	rm -rf $(BIN) $(DIST) .demo
