# Leapfrog: a GameLift Realtime alternative on Agones.
SHELL := /usr/bin/env bash
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

PROTOC_GEN_GO_VERSION := v1.36.12
STATICCHECK_VERSION := 2026.1
PROTO_DIR := gameserver/proto
PROTO_FILES := $(shell find $(PROTO_DIR) -name '*.proto')

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

.PHONY: proto
proto: $(BIN)/protoc-gen-go ## Regenerate Go code from the .proto files (needs protoc: apt-get install protobuf-compiler).
	protoc --proto_path=$(PROTO_DIR) --go_out=$(PROTO_DIR) --go_opt=paths=source_relative $(PROTO_FILES)
