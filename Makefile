# Veil's developer entry points. `make` (or `make help`) lists them; each target's `## text` is its help.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Go from the official tarball lives in /usr/local/go; find it even when PATH does not name it.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := $(PATH):/usr/local/go/bin
endif

GO ?= go
BIN := bin
VEIL := $(BIN)/veil
# The browser client: wasmclient/js built to wasm, and the Go toolchain's wasm_exec.js that runs it (never a
# copy kept in the repository: it must match the compiler).
WASM := $(BIN)/veil.wasm
WASM_EXEC := $(BIN)/wasm_exec.js
WASM_MAIN := ./wasmclient/js
WASM_PKGS := ./wasmclient/...
WASM_ENV := GOOS=js GOARCH=wasm

# Extra flags for scripts/setup-debian.sh, e.g. SETUP_FLAGS=--browser.
SETUP_FLAGS ?=
# `make test RACE=` runs the tests without the race detector.
RACE ?= -race
TEST_TIMEOUT ?= 25m
# How long each fuzz target runs: short in `make test`, long in `make fuzz`.
test: FUZZTIME ?= 10s
fuzz: FUZZTIME ?= 5m
# Which fuzz targets to run (a regexp on the target name).
FUZZ ?= .
# Which benchmarks to run (go test -bench), and extra flags such as BENCHFLAGS='-count=5 -benchtime=2s'.
BENCH ?= .
BENCHFLAGS ?=

# The loadable browser extension: extension/'s sources (not its testdata/ or docs) and the client's wasm.
EXT_DIST := extension/dist
# `make test-browser SCREENSHOTS=dir` keeps the browser tests' screenshots in dir.
SCREENSHOTS ?=

.PHONY: help setup build wasm extension contracts run demo test test-browser fuzz bench check clean

help: ## Show this help
	@echo "Usage: make TARGET [VARIABLE=value ...]. Targets:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-13s %s\n", $$1, $$2}'
	@echo "Variables: FUZZTIME (test 10s, fuzz 5m), FUZZ, BENCH, BENCHFLAGS, RACE, SETUP_FLAGS, SCREENSHOTS."

setup: ## Install what building and testing need: Debian packages (apt-get, as root) and Go modules
	bash scripts/setup-debian.sh $(SETUP_FLAGS)

build: wasm ## Build the veil command into bin/veil, its relay pages embedding the client's wasm
	@# The relay's post viewer (web/) decrypts with the client's wasm: it embeds copies of bin/veil.wasm and
	@# bin/wasm_exec.js (git-ignored). Without them it builds too, and says that it cannot decrypt.
	@if [ -f $(WASM) ] && [ -f $(BIN)/wasm_exec.js ]; then \
		cp $(WASM) $(BIN)/wasm_exec.js web/static/; \
	else \
		rm -f web/static/veil.wasm web/static/wasm_exec.js; \
		echo "make build: no $(WASM) and $(BIN)/wasm_exec.js from 'make wasm': the relay's post viewer will not decrypt"; \
	fi
	$(GO) build -o $(VEIL) ./cmd/veil

wasm: ## Build the browser client bin/veil.wasm (GOOS=js GOARCH=wasm) and copy the toolchain's wasm_exec.js to bin/
	@mkdir -p $(BIN)
	$(WASM_ENV) $(GO) build -trimpath -ldflags='-s -w' -o $(WASM) $(WASM_MAIN)
	@goroot=$$($(GO) env GOROOT); exec_js=$$goroot/lib/wasm/wasm_exec.js; \
	[ -f "$$exec_js" ] || exec_js=$$goroot/misc/wasm/wasm_exec.js; \
	cp "$$exec_js" $(WASM_EXEC) && echo "$(WASM): $$(wc -c < $(WASM)) bytes; $(WASM_EXEC) from $$exec_js"

extension: wasm ## Assemble the browser extension into extension/dist/ (chrome://extensions, Load unpacked)
	rm -rf $(EXT_DIST)
	@mkdir -p $(EXT_DIST)
	tar -C extension --exclude=./testdata --exclude=./dist --exclude='*.md' -cf - . | tar -C $(EXT_DIST) -xf -
	cp $(WASM) $(WASM_EXEC) $(EXT_DIST)/
	@echo "$(EXT_DIST): $$(find $(EXT_DIST) -type f | wc -l) files; load it unpacked in Chromium"

contracts: ## Compile wallet/contracts/*.sol (solc pinned in package.json) into build/ ABI and bytecode and Go bindings
	@[ -d node_modules/solc ] || npm ci --ignore-scripts
	node scripts/contracts.mjs

# Where `make run` listens and keeps its data, and where its dev chain serves JSON-RPC.
RUN_LISTEN ?= 127.0.0.1:8080
RUN_DATA ?= veil-data
RUN_CHAIN ?= 127.0.0.1:8545

run: setup build extension ## Run a relay on embedded defaults (RUN_LISTEN, data in RUN_DATA) and a dev chain (RUN_CHAIN) until Ctrl-C; build the extension
	@echo "Relay on http://$(RUN_LISTEN) (its dashboard is that page), data in $(RUN_DATA)/."
	@echo "Browser: chrome://extensions, Developer mode, Load unpacked: $(abspath $(EXT_DIST))"
	@echo "  (its popup: create a persona; the relay is http://127.0.0.1:8080 by default). In a terminal:"
	@echo "  export VEIL_RELAY=http://$(RUN_LISTEN) PATH=$(abspath $(BIN)):\$$PATH"
	@echo "  veil persona new --name Alice --email alice@example.org --no-passphrase && veil keys publish alice"
	@echo "  echo hello | veil post --public            # prints the feed text; veil read '<feed text>'"
	@echo "  gpg --keyserver hkp://$(RUN_LISTEN) --search-keys alice@example.org"
	@echo "Dev chain (chain 1337): JSON-RPC on http://$(RUN_CHAIN), contracts and dev accounts in $(abspath $(RUN_DATA))/devchain.json."
	@echo "  export VEIL_CHAIN_FILE=$(abspath $(RUN_DATA))/devchain.json VEIL_WALLET_PASSPHRASE=dev"
	@echo "  veil wallet import --dev alice --lightkdf && veil wallet bind alice && veil keys publish alice"
	@echo "  veil wallet balance; veil tip '<feed text>' 1.5 veil; veil stake status"
	@echo "  The relay lists itself in the chain's relay registry as the dev account 'operator' (its dashboard shows the stake)."
	@echo "  Tips in the extension: popup, Wallet and tips: paste $(RUN_DATA)/devchain.json as the chain, import a dev account's privateKey."
	@mkdir -p $(RUN_DATA)
	@rm -f $(RUN_DATA)/devchain.json
	@# The chain runs beside the relay and stops with it (Ctrl-C reaches both; the trap covers the rest).
	$(VEIL) devchain --http $(RUN_CHAIN) --out $(RUN_DATA)/devchain.json & chain=$$!; \
	trap 'kill $$chain 2>/dev/null; wait $$chain 2>/dev/null || true' EXIT; \
	for i in $$(seq 100); do [ -f $(RUN_DATA)/devchain.json ] || ! kill -0 $$chain 2>/dev/null && break; sleep 0.1; done; \
	[ -f $(RUN_DATA)/devchain.json ] || { echo "make run: the dev chain did not start" >&2; exit 1; }; \
	$(VEIL) relay --listen $(RUN_LISTEN) --data-dir $(RUN_DATA) --p2p-listen /ip4/127.0.0.1/tcp/0 \
		--chain-file $(RUN_DATA)/devchain.json --operator-key devchain:operator

demo: setup build ## Walk through personas and a message that veil and gpg both read (throwaway homes)
	bash scripts/demo.sh $(abspath $(VEIL))

test: SETUP_FLAGS += --browser
test: setup ## Run go vet, all tests (Chromium ones too) with the race detector, and every fuzz target for FUZZTIME
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) ./...
	FUZZTIME=$(FUZZTIME) FUZZ='$(FUZZ)' bash scripts/fuzz.sh

test-browser: SETUP_FLAGS += --browser
test-browser: setup extension ## Run the Chromium tests: the extension on saved X and Facebook pages, the relay's post viewer
	$(if $(SCREENSHOTS),VEIL_SCREENSHOTS=$(abspath $(SCREENSHOTS))) $(GO) test -count=1 -timeout 15m -run '^TestBrowser' -v ./integration

fuzz: setup ## Run every fuzz target (or those matching FUZZ) for FUZZTIME each
	FUZZTIME=$(FUZZTIME) FUZZ='$(FUZZ)' bash scripts/fuzz.sh

bench: setup ## Run benchmarks matching BENCH, save bin/bench.txt and print a Markdown table
	@mkdir -p $(BIN)
	@echo "Running benchmarks '$(BENCH)'; raw output goes to $(BIN)/bench.txt"
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchmem -count=1 $(BENCHFLAGS) ./... > $(BIN)/bench.txt 2>&1 \
		|| { cat $(BIN)/bench.txt; exit 1; }
	$(GO) run ./scripts/benchtable < $(BIN)/bench.txt
	@if [ -f scripts/bench-gpg.sh ]; then bash scripts/bench-gpg.sh; fi

check: ## Run go vet and staticcheck, natively and for GOOS=js
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(WASM_ENV) $(GO) vet $(WASM_PKGS)
	@# `go tool` would build staticcheck itself for GOOS=js: build it natively and point it at js.
	$(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(WASM_ENV) $(BIN)/staticcheck $(WASM_PKGS)

clean: ## Remove build outputs (bin/, extension/dist/)
	rm -rf $(BIN) $(EXT_DIST)
