# worker.mk — the Cloudflare Workers edition (server/worker). Included
# from the Makefile; paths are relative to the repository root.
#
#   make worker          build the Worker: the Go module (js/wasm) and
#                        wrangler's build files, into server/worker/build
#   make worker-dev      serve it under `wrangler dev` on $(WORKER_ADDR),
#                        with local D1 and R2, until stopped
#   make worker-deploy   `wrangler deploy` with server/worker/wrangler.toml
#
#   make simd            assemble the kernels (shared/internal/simd)
#   make simd-test       the feature packages' tests under Node with them
#
# Node 22, wrangler and wabt (whose wat2wasm assembles the kernels) come
# from the npm registry, installed on first use into .tools/worker (about
# 20 s and 350 MB; wrangler 4.88 and later refuse a Node older than 22).
# Nothing else is downloaded. npm itself,
# when missing, is installed from Debian's packages (as root or with
# sudo), as the Makefile does for Chromium.

GO ?= go

WORKER_DIR       := server/worker
WORKER_BUILD     := $(WORKER_DIR)/build
WORKER_TOOLS     := .tools/worker
WORKER_NODE      := 22.23.3
WORKER_WRANGLER  := 4.164.0
# wabt's wat2wasm assembles the kernels (shared/internal/simd).
WORKER_WABT      := 1.0.39
# The stamp names the versions: changing one installs again.
WORKER_STAMP     := $(WORKER_TOOLS)/.installed-node$(WORKER_NODE)-wrangler$(WORKER_WRANGLER)-wabt$(WORKER_WABT)
WORKER_BIN       := $(CURDIR)/$(WORKER_TOOLS)/node_modules/.bin
# npm can stall on a registry connection and never return; each attempt at
# the install is stopped after WORKER_NPM_TIMEOUT seconds (it takes about
# 20) and made again from scratch, at most WORKER_NPM_TRIES times, so that
# make test fails with a message instead of hanging.
WORKER_NPM_TIMEOUT ?= 300
WORKER_NPM_TRIES   ?= 3
WORKER_ADDR      ?= 127.0.0.1:8787
# Echo without its servers and the module file building with it (see
# server/worker/internal/echotrim): outside server/, which gofmt and
# go vet read, since it is Echo's code.
WORKER_SRC       := $(WORKER_TOOLS)/src
# The most the Go module may weigh gzipped (gzip -9), in bytes: issue 12's
# 3 MB; server/worker's TestModuleSize checks the same figure.
WORKER_BUDGET    := 3000000
# `make worker WORKER_NAMES=1` keeps Go's function names in the module, so
# that a profile of the isolate names them (server/worker's
# TestMeasureWorkerd -profile): about 75 KB gzip more, so such a build is
# not held to the budget. Not for deploying.
WORKER_NAMES     ?=
WORKER_LDFLAGS   := $(if $(WORKER_NAMES),,-s -w)
WORKER_LIMIT     := $(if $(WORKER_NAMES),1000000000,$(WORKER_BUDGET))
# The packages the compiler inlines calls in: those where the Worker
# computes (the Go runtime, pictures and features, JSON, base64, binary,
# strings): a callee is inlined only if its own package is listed.
# Everywhere else (the HTTP plumbing, Echo, the D1 driver, the gallery
# service, logging, the crypto std initialises) inlining is off (-l): each
# inlined call is a copy of its callee, with tables for tracebacks, and
# the module is 137 KB gzip lighter without them, at no CPU measured under
# workerd (server/worker/BUDGETS.md, Module size); off everywhere, it
# would slow a search by a quarter to a third.
WORKER_INLINE    := runtime internal/... image/... github.com/pixmatch/pixmatch/shared/... \
	golang.org/x/image/... github.com/corona10/... math/... sync/... syscall/js \
	encoding/base64 encoding/binary encoding/json strconv strings bytes unicode/utf8 slices maps
WORKER_GCFLAGS   := -gcflags=all=-l $(foreach p,$(WORKER_INLINE),-gcflags=$(p)=)

.PHONY: worker-tools

## worker-tools: Node, wrangler and wabt from the npm registry into .tools/worker
worker-tools: $(WORKER_STAMP)

$(WORKER_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing npm (Debian package): the Worker edition installs Node 22 and wrangler with it"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "the Worker edition needs npm: run  apt-get install -y --no-install-recommends npm  as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null \
	  || { echo "could not install npm: run  apt-get install -y --no-install-recommends npm  as root" >&2; exit 1; }; }
	@echo "installing Node $(WORKER_NODE), wrangler $(WORKER_WRANGLER) and wabt $(WORKER_WABT) from the npm registry into $(WORKER_TOOLS)"
	@mkdir -p $(WORKER_TOOLS)
	rm -f $(WORKER_TOOLS)/.installed-*
	@n=1; while :; do \
	  npm_config_fetch_timeout=60000 npm_config_fetch_retries=4 \
	  timeout -k 10 $(WORKER_NPM_TIMEOUT) npm install --prefix $(WORKER_TOOLS) --no-audit --no-fund --save-exact --loglevel=error \
	    node@$(WORKER_NODE) wrangler@$(WORKER_WRANGLER) wabt@$(WORKER_WABT) && break; \
	  rc=$$?; [ $$rc = 124 ] && why="took over $(WORKER_NPM_TIMEOUT) s" || why="failed (exit $$rc)"; \
	  if [ $$n -ge $(WORKER_NPM_TRIES) ]; then \
	    echo "npm install $$why, $$n times: the Worker edition needs Node $(WORKER_NODE), wrangler $(WORKER_WRANGLER) and wabt $(WORKER_WABT) from the npm registry; check that npm reaches it (npm ping), then run  make worker-tools" >&2; exit 1; fi; \
	  echo "npm install $$why (attempt $$n of $(WORKER_NPM_TRIES)); starting again from an empty $(WORKER_TOOLS)/node_modules" >&2; \
	  rm -rf $(WORKER_TOOLS)/node_modules $(WORKER_TOOLS)/package-lock.json; n=$$((n+1)); \
	done
	@PATH="$(WORKER_BIN):$$PATH" node --version | grep -q '^v$(WORKER_NODE)$$' || { \
	  echo "$(WORKER_TOOLS): node is not $(WORKER_NODE) after the install" >&2; exit 1; }
	@touch $@

# The parts of ADDR, for wrangler's --ip and --port.
WORKER_HOST = $(word 1,$(subst :, ,$(ADDR)))
WORKER_PORT = $(word 2,$(subst :, ,$(ADDR)))
# The first-use variables, passed to wrangler dev when set.
WORKER_VARS = $${PIXMATCH_INSTANCE:+--var PIXMATCH_INSTANCE:$$PIXMATCH_INSTANCE} \
	$${PIXMATCH_APP_ID:+--var PIXMATCH_APP_ID:$$PIXMATCH_APP_ID} \
	$${PIXMATCH_API_KEY:+--var PIXMATCH_API_KEY:$$PIXMATCH_API_KEY} \
	$${PIXMATCH_API_SECRET:+--var PIXMATCH_API_SECRET:$$PIXMATCH_API_SECRET}

# The kernels (shared/internal/simd): the Worker's Go module is built with
# the tag simd and calls them; wabt's wat2wasm assembles them.
# Each part holds a kernel's functions; make splices them into one module,
# which imports the Go instance's memory.
SIMD_PARTS       := $(addprefix shared/internal/simd/,nearest.wat fast.wat box.wat idct.wat)
SIMD_WAT         := bin/simd/kernels.wat
SIMD_WASM        := bin/simd/kernels.wasm
SIMD_PACKAGES    := ./shared/feature ./shared/camera ./shared/imagefile/internal/lumajpeg ./shared/internal/simd

$(SIMD_WASM): $(SIMD_PARTS) $(WORKER_STAMP)
	@mkdir -p $(dir $@)
	{ echo ';; the kernels of package simd (shared/internal/simd), spliced by make simd'; \
	  echo '(module'; echo '  (import "go" "mem" (memory 0))'; cat $(SIMD_PARTS); echo ')'; } > $(SIMD_WAT)
	PATH="$(WORKER_BIN):$$PATH" wat2wasm $(SIMD_WAT) -o $@

.PHONY: simd simd-test

## simd: assemble the kernels into bin/simd/kernels.wasm
simd: $(SIMD_WASM)

## simd-test: the tests of the packages that call the kernels, under Node in
## the build that has them (js/wasm, tag simd), which hold them to the Go code
## they stand for (regression vectors included)
simd-test: $(SIMD_WASM)
	PATH="$(WORKER_BIN):$$PATH" GOROOT="$$($(GO) env GOROOT)" PIXMATCH_SIMD_WASM="$(CURDIR)/$(SIMD_WASM)" \
	  GOOS=js GOARCH=wasm $(GO) test -tags simd -count=1 \
	  -exec="node --stack-size=8192 $(CURDIR)/shared/internal/simd/node_exec.js" $(SIMD_PACKAGES)

.PHONY: worker worker-dev worker-deploy

## worker: build the Worker into server/worker/build: wrangler's build files
## (syumai/workers' runtime, its worker.mjs replaced by server/worker's, which
## runs one Go instance per isolate), the Go module (js/wasm, with Echo less
## its servers, its data packed; it must weigh at most $(WORKER_BUDGET) bytes
## gzipped), and the static assets Cloudflare serves beside it (the web app's
## scripts and styles, the browser module, their headers, and the feature
## tier's vocabulary)
worker: wasm worker-tools $(SIMD_WASM)
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(WORKER_BUILD)
	cp $(WORKER_DIR)/worker.mjs $(WORKER_BUILD)/worker.mjs # one Go instance per isolate, not per request
	cp $(SIMD_WASM) $(WORKER_BUILD)/kernels.wasm # the kernels the Go module calls (shared/internal/simd)
	cp server/store/d1/d1wire/sql.mjs $(WORKER_BUILD)/sql.mjs # D1 statements answered as one text (d1wire)
	$(GO) run ./$(WORKER_DIR)/internal/slim echo -dst $(WORKER_SRC)/echo -modfile $(WORKER_SRC)/worker.mod
	GOOS=js GOARCH=wasm $(GO) build -tags simd -modfile=$(WORKER_SRC)/worker.mod -trimpath -ldflags='$(WORKER_LDFLAGS)' $(WORKER_GCFLAGS) -o $(WORKER_BUILD)/app.wasm ./$(WORKER_DIR)/cmd
	$(GO) run ./$(WORKER_DIR)/internal/slim pack -budget $(WORKER_LIMIT) -with $(WORKER_BUILD)/kernels.wasm $(WORKER_BUILD)/app.wasm
	rm -rf $(WORKER_BUILD)/assets && mkdir -p $(WORKER_BUILD)/assets/app/dist
	cp $(WASM_MODULE) $(WASM_EXEC) $(WORKER_BUILD)/assets/app/dist/
	cp $$(ls -d web/static/* | grep -v '/index.html$$') $(WORKER_BUILD)/assets/app/ # the page is the Worker's (GET / is the Alibaba API's too)
	cp web/static/sw.js $(WORKER_BUILD)/assets/sw.js
	cp $(WORKER_DIR)/assets_headers $(WORKER_BUILD)/assets/_headers
	cp shared/camera/vocabulary.bin $(WORKER_BUILD)/assets/vocabulary.bin # the feature tier's, fetched per isolate
	cp server/api/openapi/openapi.json $(WORKER_BUILD)/assets/openapi.json # the API description, served as the server serves it

## worker-dev: serve the Worker on http://$(ADDR) under wrangler dev, with a
## local D1 and R2 (kept in server/worker/.wrangler), until stopped; the
## PIXMATCH_* variables set in the environment make the first gallery and key
worker-dev: worker
	cd $(WORKER_DIR) && PATH="$(WORKER_BIN):$$PATH" wrangler dev --ip $(WORKER_HOST) --port $(WORKER_PORT) $(WORKER_VARS)

## worker-deploy: build and `wrangler deploy` with server/worker/wrangler.toml
## (your D1 database's id and R2 bucket; see README, Cloudflare Workers)
worker-deploy: worker
	cd $(WORKER_DIR) && PATH="$(WORKER_BIN):$$PATH" wrangler deploy

# make test builds the Worker first, and its test under workerd
# (server/worker TestUnderWorkerd) then fails rather than skips when the
# build or wrangler is missing.
test: worker simd-test
test: export PIXMATCH_WORKERD := 1
