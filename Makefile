# pixmatch — `make run` serves the product, `make test` checks it.

GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
BIN     := bin/pixmatch
# VERSION is what `pixmatch version` prints: the git tag or commit, with
# "-dirty" for uncommitted changes. A plain `go build` prints the module
# version and VCS revision Go records, when it records them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: run run-cluster build test test-cluster test-abuse vet bench bench-quality vocabulary fingerprint-vectors feature-pattern feature-vectors chromium postgresql opencv clean

include wasm/wasm.mk
include server/worker/worker.mk

## run: build and serve on http://$(ADDR) with the embedded database in $(DATA)
run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA)

## run-cluster: build, then start a throwaway PostgreSQL and three servers on it,
## on http://127.0.0.1:8080, :8081 and :8082; Ctrl-C stops them and removes everything
run-cluster: build postgresql
	$(GO) run ./server/internal/runcluster --bin $(BIN) --port $(lastword $(subst :, ,$(ADDR))) --servers 3

## build: compile the browser module, then the pixmatch command (which embeds it) into bin/
build: wasm
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./server/cmd/pixmatch

## test: vet, then every test with the race detector; the browser tests
## need Chromium and the PostgreSQL store's tests PostgreSQL's programs,
## which this installs from Debian's packages when missing.
## The pattern trainer's check runs without the detector (it starts no
## goroutines, and the detector makes it take a minute)
test: wasm vet chromium postgresql
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -count=1 ./shared/internal/brieftrain
	$(MAKE) --no-print-directory test-cluster

## test-cluster: the CRS and Alibaba suites again, each test's server three
## servers on one PostgreSQL taking its requests in turn, then 100 adds each
## searched at once through another server (about a minute; without the race
## detector, which the run above had them under)
test-cluster: wasm postgresql
	PIXMATCH_TEST_CLUSTER=3 $(GO) test -count=1 -timeout 5m ./server/api/crs ./server/api/alibaba
	$(GO) test -count=1 -run TestReadYourWritesAcrossServers ./server/cmd/pixmatch

## test-abuse: attacks on a real server process, about two minutes: decompression
## bombs and floods of bodies from 16 clients for 30 s, then 6,000 slow connections;
## prints the server's peak memory and how long an ordinary client waited
test-abuse:
	$(GO) test -tags abuse -count=1 -v -timeout 10m ./server/abuse

## chromium: make sure Debian's Chromium is installed for the browser tests
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "make test needs Chromium: run  apt-get install -y chromium  as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
	  || { echo "could not install Chromium: run  apt-get install -y chromium  as root" >&2; exit 1; }; }

## postgresql: make sure PostgreSQL's initdb and postgres are installed for the
## PostgreSQL store's tests, which run throwaway clusters of their own (see
## server/store/postgres/pgtest): on PATH, or in Debian's /usr/lib/postgresql/*/bin
postgresql:
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "installing postgresql (Debian package) for the PostgreSQL store's tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "make test needs PostgreSQL: run  apt-get install -y postgresql  as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
	  || { echo "could not install PostgreSQL: run  apt-get install -y postgresql  as root" >&2; exit 1; }; }

## opencv: make sure Debian's python3-opencv is installed for the anchor of make bench-quality
opencv:
	@/usr/bin/python3 -c 'import cv2' >/dev/null 2>&1 || { \
	  echo "installing python3-opencv (Debian package) for the benchmark's anchor"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "make bench-quality needs OpenCV: run  apt-get install -y python3-opencv  as root" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-opencv >/dev/null \
	  || { echo "could not install python3-opencv: run  apt-get install -y python3-opencv  as root" >&2; exit 1; }; }

vet:
	@unformatted=$$(gofmt -l server shared wasm web); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags abuse ./server/abuse

## bench: speed benchmarks; each reports against a baseline run in the same process
## (the first run builds 100,000-target galleries into .cache/bench, ~6 min)
bench:
	$(GO) test -run '^$$' -bench 'Speedup|Hash' -benchtime 2s ./shared/fingerprint
	$(GO) test -run '^$$' -bench 'Search|FlatScan' -benchtime 1s ./shared/index
	$(GO) test -run '^$$' -bench MultiIndex -benchtime 20x ./shared/index
	$(GO) test -run '^$$' -bench . -benchtime 1s ./shared/quality
	$(GO) test -run '^$$' -bench 'QueryVsFingerprint|Extract' -benchtime 20x ./shared/feature
	$(GO) test -run '^$$' -bench Browser -benchtime 20x ./server/e2e
	$(GO) test -run '^$$' -bench 'ReadMatches|Delta' -benchtime 5x ./server/gallery
	$(GO) test -run '^$$' -bench Enrol -benchtime 56x ./server/gallery
	$(GO) test -run '^$$' -bench OpenFromSnapshot -benchtime 2x ./server/gallery
	$(GO) test -run '^$$' -bench CameraSearch -benchtime 300x ./server/gallery -args -benchcache $(CURDIR)/.cache/bench
	$(GO) test -run '^$$' -bench FirstSync -benchtime 50x ./server/api/sync -args -benchcache $(CURDIR)/.cache/bench

## bench-quality: recognition quality on real photos from Debian's packages
## (downloaded once into .cache/quality), written to .cache/quality/report;
## the camera table's anchor column runs Debian's python3-opencv
## (ANCHOR=false skips it: a quick run, without OpenCV)
ANCHOR ?= true
bench-quality: $(if $(filter false,$(ANCHOR)),,opencv)
	$(GO) run ./shared/internal/qualitybench -cache .cache/quality -out .cache/quality/report -anchor=$(ANCHOR)

## vocabulary: train the feature tier's vocabulary on the quality corpus's
## filler pictures (deterministic) into shared/camera/vocabulary.bin;
## needs the corpus of make bench-quality
vocabulary:
	$(GO) run ./shared/internal/qualitybench -cache .cache/quality -vocabulary shared/camera/vocabulary.bin

## fingerprint-vectors: after bumping fingerprint.Version, record the codes
## of the test photos it makes (shared/fingerprint/testdata/vectors.txt)
fingerprint-vectors:
	$(GO) test -count=1 -run '^TestVectors$$' ./shared/fingerprint -update

## feature-pattern: learn the descriptor's sampling pattern from the test
## photos (shared/feature/pattern_data.go); bump feature.Version with it
feature-pattern:
	$(GO) run ./shared/internal/brieftrain -out shared/feature/pattern_data.go

## feature-vectors: after bumping feature.Version, record the features of
## the test photos (shared/feature/testdata/vectors.txt), then check that
## the browser's build (js/wasm, run by Node) makes the same
feature-vectors:
	$(GO) test -count=1 -run '^TestVectors$$' ./shared/feature -update
	PATH="$$($(GO) env GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 -run '^TestVectors$$' ./shared/feature

clean:
	rm -rf bin
