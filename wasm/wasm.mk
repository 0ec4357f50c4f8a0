# wasm.mk — the browser module. Included from the Makefile; paths are
# relative to the repository root.
#
#   make wasm       build web/dist/pixmatch.wasm and copy Go's wasm_exec.js
#   make size       print the module's raw and gzip -9 sizes; fail when the
#                   gzipped module is over WASM_MAX_GZIP bytes
#   make wasm-test  run wasm/'s tests under Node (GOOS=js GOARCH=wasm)

GO ?= go

WASM_DIST     := web/dist
WASM_MODULE   := $(WASM_DIST)/pixmatch.wasm
WASM_EXEC     := $(WASM_DIST)/wasm_exec.js
# 1.2 MB: what a phone on a slow connection downloads in a few seconds.
WASM_MAX_GZIP ?= 1258291

.PHONY: wasm size wasm-test

## wasm: build the browser module into web/dist
wasm:
	@mkdir -p $(WASM_DIST)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WASM_MODULE) ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WASM_EXEC)

## size: the browser module's size, raw and gzip -9, against its budget
size: wasm
	@raw=$$(wc -c < $(WASM_MODULE) | tr -d ' '); \
	gz=$$(gzip -9 -c $(WASM_MODULE) | wc -c | tr -d ' '); \
	echo "$(WASM_MODULE): $$raw bytes raw, $$gz bytes gzip -9 (budget $(WASM_MAX_GZIP))"; \
	if [ "$$gz" -gt $(WASM_MAX_GZIP) ]; then \
		echo "$(WASM_MODULE) is over budget by $$((gz - $(WASM_MAX_GZIP))) bytes gzipped" >&2; exit 1; \
	fi

## wasm-test: the browser module's tests, run by Node
wasm-test:
	PATH="$$($(GO) env GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./wasm/
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/
