# worker.mk — the Cloudflare Workers edition (server/worker). Included
# from the Makefile; paths are relative to the repository root.
#
#   make worker          build the Worker: the Go module (js/wasm) and
#                        wrangler's build files, into server/worker/build
#   make worker-dev      serve it under `wrangler dev` on $(WORKER_ADDR),
#                        with local D1 and R2, until stopped
#   make worker-deploy   `wrangler deploy` with server/worker/wrangler.toml
#
# Node 22 and wrangler come from the npm registry, installed on first use
# into .tools/worker (about 20 s and 413 MB; wrangler 4.88 and later
# refuse a Node older than 22). Nothing else is downloaded.

GO ?= go

WORKER_DIR       := server/worker
WORKER_BUILD     := $(WORKER_DIR)/build
WORKER_TOOLS     := .tools/worker
WORKER_NODE      := 22.23.3
WORKER_WRANGLER  := 4.164.0
# The stamp names the versions: changing one installs again.
WORKER_STAMP     := $(WORKER_TOOLS)/.installed-node$(WORKER_NODE)-wrangler$(WORKER_WRANGLER)
WORKER_BIN       := $(CURDIR)/$(WORKER_TOOLS)/node_modules/.bin
WORKER_ADDR      ?= 127.0.0.1:8787

.PHONY: worker-tools

## worker-tools: Node and wrangler from the npm registry into .tools/worker
worker-tools: $(WORKER_STAMP)

$(WORKER_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "the Worker edition installs Node 22 and wrangler with npm, which is missing:" >&2; \
	  echo "install it (Debian: apt-get install -y npm), then run make again" >&2; exit 1; }
	@echo "installing Node $(WORKER_NODE) and wrangler $(WORKER_WRANGLER) from the npm registry into $(WORKER_TOOLS)"
	@mkdir -p $(WORKER_TOOLS)
	rm -f $(WORKER_TOOLS)/.installed-*
	npm install --prefix $(WORKER_TOOLS) --no-audit --no-fund --save-exact --loglevel=error \
	  node@$(WORKER_NODE) wrangler@$(WORKER_WRANGLER)
	@PATH="$(WORKER_BIN):$$PATH" node --version | grep -q '^v$(WORKER_NODE)$$' || { \
	  echo "$(WORKER_TOOLS): node is not $(WORKER_NODE) after the install" >&2; exit 1; }
	@touch $@
