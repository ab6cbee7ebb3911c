# Leapfrog: an open-source GameLift Realtime alternative on Agones.
# `make help` lists the targets. Tools the build needs are pinned and installed into ./bin.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

PROTOC_GEN_GO_VERSION := v1.36.12
STATICCHECK_VERSION := v0.8.2
PROTO_DIR := contract/proto
PROTO_FILES := $(shell find $(PROTO_DIR) -name '*.proto' | sort)
# The Agones API types whose deep copies deepcopy-gen writes, from the
# k8s.io/code-generator release of the k8s.io/apimachinery in go.mod, so the
# generated code and the library it calls never drift apart.
DEEPCOPY_DIR := contract/agonesv1
CODE_GENERATOR_VERSION = $(shell go list -m -f '{{.Version}}' k8s.io/apimachinery)
GO_BUILD := CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'
# Each fuzz target runs a fixed count of executions, about 10 s on a 2-core
# machine: a count, not a duration, because Go 1.26's fuzzer can fail a run
# that found nothing when a duration ends (golang/go#75804). FUZZTIME (a
# count like 10000000x, or a duration) overrides it for every target.
FUZZTIME ?=
fuzztime = $(if $(FUZZTIME),$(FUZZTIME),$(1))
# Where make run serves; another port while something else holds 8080 (the real-Agones rig does).
LISTEN ?= 127.0.0.1:8080
# make run SCRIPT=<folder or .zip> runs a GameLift Realtime script on the local fleet instead of the Go
# race: LAUNCH is its launch path inside SCRIPT, SCRIPT_ARGS the arguments onProcessStarted gets.
SCRIPT ?=
LAUNCH ?= index.js
SCRIPT_ARGS ?=
# make run GAME=party runs Fly Snatch (gameserver/party), a party game of PLAYERS frogs (3 to 8, default 4).
GAME ?=
PLAYERS ?=
RUN_GAME := $(if $(SCRIPT),--game=script --script-dir='$(SCRIPT)' --launch-path='$(LAUNCH)' --script-args='$(SCRIPT_ARGS)',$(if $(GAME),--game=$(GAME))) $(if $(PLAYERS),--players=$(PLAYERS))

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the allocator with a local fleet of game servers on LISTEN (127.0.0.1:8080; no Kubernetes), races through the edge; SCRIPT=<dir|zip> [LAUNCH=index.js] [SCRIPT_ARGS=...] runs a Realtime script; GAME=party [PLAYERS=4] runs Fly Snatch.
	go run ./allocator/cmd/allocator-local --listen=$(LISTEN) --local-edge $(RUN_GAME)

.PHONY: run-https
run-https: ## Like run, over https:// and wss:// with a self-signed certificate made at start.
	go run ./allocator/cmd/allocator-local --listen=$(LISTEN) --local-edge --tls-self-signed $(RUN_GAME)

.PHONY: build-local
build-local: ## Build bin/allocator-local: the allocator with make run's local fleet of game servers.
	$(GO_BUILD) -o $(BIN)/allocator-local ./allocator/cmd/allocator-local

.PHONY: build
build: ## Build static binaries into bin/: race-server, allocator, bot, edge (what the image holds).
	$(GO_BUILD) -o $(BIN)/race-server ./gameserver/cmd/race-server
	$(GO_BUILD) -o $(BIN)/allocator ./allocator/cmd/allocator
	$(GO_BUILD) -o $(BIN)/bot ./test/bot
	$(GO_BUILD) -o $(BIN)/edge ./edge/cmd/edge

.PHONY: test
test: ## Run every test: unit, integration, end-to-end, browser, chart on a real API server (installs what it needs).
	hack/install-test-deps.sh
	eval "$$(hack/tools.sh env)" && go test -count=1 -race -timeout 15m ./...

.PHONY: fuzz
fuzz: ## Run each fuzz target for about 10 s (FUZZTIME overrides: a count like 10000000x, or a duration).
	go test -run '^$$' -fuzz '^FuzzDecodeClientFrame$$' -fuzztime $(call fuzztime,100000x) ./gameserver/realtime
	go test -run '^$$' -fuzz '^FuzzDecodeClient$$' -fuzztime $(call fuzztime,30000x) ./gameserver/gamelift
	go test -run '^$$' -fuzz '^FuzzVerifyPlayerSession$$' -fuzztime $(call fuzztime,250000x) ./contract/token
	go test -run '^$$' -fuzz '^FuzzMatchBody$$' -fuzztime $(call fuzztime,30000x) ./internal/allocator/api
	go test -run '^$$' -fuzz '^FuzzGuestBody$$' -fuzztime $(call fuzztime,20000x) ./internal/allocator/api
	go test -run '^$$' -fuzz '^FuzzVerifyGuest$$' -fuzztime $(call fuzztime,250000x) ./contract/token
	go test -run '^$$' -fuzz '^FuzzParseKeyset$$' -fuzztime $(call fuzztime,300000x) ./contract/token

SOAK_FLAGS ?= -slots 2000 -concurrency 8 -pauses 5

.PHONY: soak
soak: ## Long soak of the local stack: races with faults, then leak and stuck-place checks (SOAK_FLAGS).
	go run ./test/soak $(SOAK_FLAGS)

.PHONY: bench
bench: ## Run the benchmarks (tick, broadcast, codec, idle connection memory, match).
	go test -run '^$$' -bench . -benchmem ./...

HD_FLAGS ?= -races 2000 -duration 30s -saturate 15s

.PHONY: load-hd
load-hd: ## Load one high-density race server and a bare relay the same way (HD_FLAGS); see test/load/README.md.
	go run ./test/load/hd race $(HD_FLAGS)

$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: proto
proto: $(BIN)/protoc-gen-go ## Regenerate Go code from the .proto files.
	command -v protoc >/dev/null || hack/apt-install.sh protobuf-compiler
	protoc --proto_path=$(PROTO_DIR) --go_out=$(PROTO_DIR) --go_opt=paths=source_relative $(PROTO_FILES)

.PHONY: proto-check
proto-check: proto ## Fail if the committed generated protobuf code is stale.
	git diff --exit-code -- $(PROTO_DIR) || { echo "generated protobuf code is stale: run make proto and commit"; exit 1; }

.PHONY: generate
generate: ## Regenerate the deep copies of the Agones API types (contract/agonesv1) with deepcopy-gen.
	go run k8s.io/code-generator/cmd/deepcopy-gen@$(CODE_GENERATOR_VERSION) --output-file zz_generated.deepcopy.go ./$(DEEPCOPY_DIR)

.PHONY: generate-check
generate-check: generate ## Fail if the committed generated deep copies are stale.
	git diff --exit-code -- $(DEEPCOPY_DIR) || { echo "generated deep copies are stale: run make generate and commit"; exit 1; }

.PHONY: conformance-golden
conformance-golden: ## Rewrite the script conformance corpus's golden files (internal/gameserver/script/testdata/conformance/*.out) with node's output.
	@command -v node >/dev/null || { echo "node is not on PATH: apt-get install nodejs"; exit 1; }
	go test -count=1 -run 'TestConformanceWithNode' ./internal/gameserver/script -update-golden

.PHONY: web
web: ## Rebuild the browser client bundle (TypeScript, esbuild) into internal/allocator/webui/dist.
	web/build.sh

.PHONY: web-check
web-check: ## Fail if the committed browser bundle or its generated code is stale.
	web/check.sh

.PHONY: lint
lint: $(BIN)/staticcheck ## gofmt, go vet, staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	staticcheck ./...

.PHONY: deploy-check
deploy-check: ## Lint and render the Helm chart and validate it on a real kube-apiserver with the Agones CRDs.
	hack/deploy-check.sh

.PHONY: ci
ci: lint proto-check generate-check web-check test fuzz deploy-check ## Everything CI runs.

.PHONY: agones-e2e
agones-e2e: ## Real Agones v1.60 control plane here (needs AGONES_BIN): install the chart, run test/agones, tear down.
	hack/agones-up.sh
	LEAPFROG_REALAGONES=1 go test -count=1 -v -timeout 60m ./test/agones/ 2>&1 | tee /tmp/leapfrog-agones-e2e.log; \
	status=$${PIPESTATUS[0]}; hack/agones-down.sh; exit $$status
