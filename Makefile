# pixmatch — `make run` serves the product, `make test` checks it.

GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
BIN     := bin/pixmatch

.PHONY: run build test vet bench clean

## run: build and serve on http://$(ADDR) with the embedded database in $(DATA)
run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA)

## build: compile the pixmatch command into bin/
build:
	$(GO) build -o $(BIN) ./server/cmd/pixmatch

## test: vet, then every test with the race detector
test: vet
	$(GO) test -race -count=1 -timeout 15m ./...

vet:
	@unformatted=$$(gofmt -l server shared); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: speed benchmarks; each reports against a baseline run in the same process
bench:
	$(GO) test -run '^$$' -bench 'Speedup|Hash' -benchtime 2s ./shared/fingerprint
	$(GO) test -run '^$$' -bench 'Search|FlatScan' -benchtime 1s ./shared/index
	$(GO) test -run '^$$' -bench . -benchtime 1s ./shared/quality

clean:
	rm -rf bin
