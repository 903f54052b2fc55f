# The portal's build. GNU make.
#
#   make run     build, then start a development server on 127.0.0.1:8080
#   make test    everything CI checks (.ci/run)
#   make lint    staticcheck, on the server's build and on the wasm's
#   make build   bin/sspr, bin/web/app.wasm (the student's) and
#                bin/web/desk.wasm (the service desk's console)
#   make bench   the benchmarks (scripts/bench.sh): Go, API load, page loads
#                in Chromium, app.wasm sizes
#   make fuzz    every fuzz target for FUZZTIME each (default 30s)
#   make image   bin/sspr-image.tar, the container image (docker load or
#                podman load it), built without a container engine
#   make clean

GO       ?= go
BIN      := bin
FUZZTIME ?= 30s
# -X main.version=... names the build: by default what git says of the
# checkout (the tag, or the commit, "-dirty" with uncommitted changes), so
# that `sspr version`, the log and /healthz (to monitoring) say which build
# runs even where Go's own VCS stamping is off (GOFLAGS=-buildvcs=false).
# Outside git:
# empty, and the binary says what the module's build info holds.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS  := $(if $(VERSION),-X main.version=$(VERSION))
# staticcheck, pinned: `go run` builds it into Go's cache, nothing is
# installed. v0.8.2 is staticcheck 2026.2.2, the newest, and knows Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build server wasm run deps test fmt-check vet lint unit bench fuzz image clean

all: build

build: server wasm

# Go's build cache makes these cheap to run every time, and always right.
server:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/sspr ./server/cmd/sspr

# Then app.wasm.br and app.wasm.gz (and those of any other file in
# $(BIN)/web) for server/web to send as they are: pure Go, so nothing else
# need be installed. Brotli at its best takes ~20 s, but only when app.wasm's
# bytes changed: precompress leaves siblings that still match alone.
wasm:
	GOOS=js GOARCH=wasm $(GO) build -tags sspr_reset -trimpath -ldflags "-s -w" -o $(BIN)/web/app.wasm ./app/cmd/wasm
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/web/reg.wasm ./app/cmd/wasm
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/web/desk.wasm ./app/cmd/desk
	$(GO) run ./server/cmd/precompress \
	  $$(find $(BIN)/web -maxdepth 1 -type f ! -name '.*' ! -name '*.br' ! -name '*.gz' | sort)

run: build
	./$(BIN)/sspr serve --dev --listen 127.0.0.1:8080 --data data/dev

# axe-core (scripts/axe), which the browser tests inject into Chromium,
# comes from the npm registry at the version and hash its lock file names.
deps:
	scripts/deps.sh npm:npm
	@test -f scripts/axe/node_modules/axe-core/axe.min.js || \
	  npm ci --prefix scripts/axe --no-audit --no-fund --loglevel=error

# One step after the other even under -j: deps installs what the rest
# needs, and the browser tests load $(BIN)/web, so it is built before any
# go test runs.
test:
	$(MAKE) deps
	$(MAKE) build
	$(MAKE) fmt-check vet lint unit

fmt-check:
	@files="$$(gofmt -l .)"; \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting (gofmt -w):"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/...
	GOOS=js GOARCH=wasm $(GO) vet -tags sspr_reset ./app/...

# staticcheck with its default checks; a finding fails. The wasm's files
# (GOOS=js) are checked by a second run: -exec hands GOOS and GOARCH to
# staticcheck alone, which is built for this machine.
lint:
	$(GO) run $(STATICCHECK) ./...
	$(GO) run -exec "env GOOS=js GOARCH=wasm" $(STATICCHECK) ./app/...
	$(GO) run -exec "env GOOS=js GOARCH=wasm" $(STATICCHECK) -tags sspr_reset ./app/...

# The browser tests (server/e2e) take most of it, near go test's default
# limit of 10 minutes per package under -race on 2 cores: the limit is
# raised so that a busy machine fails on a real fault, not on time.
unit: build
	$(GO) test -race -count=1 -timeout 15m ./...

# Needs chromium for the page benchmark (scripts/deps.sh installs it) and
# brotli for nothing: the sizes are those of precompress's files.
bench: build
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# The container image, from scratch and without a container engine or a
# registry (server/cmd/mkimage; docs/OPERATIONS.md): a static sspr
# (CGO_ENABLED=0, so no C library is needed), the web files, the CA
# certificates (Debian's ca-certificates, which scripts/deps.sh installs).
# Every file's time is the last commit's, so the same commit makes the
# same image.
image: wasm
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS) -s -w" -o $(BIN)/image/sspr ./server/cmd/sspr
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
	  $(GO) run ./server/cmd/mkimage --binary $(BIN)/image/sspr --web $(BIN)/web \
	  --ca /etc/ssl/certs/ca-certificates.crt --version "$(VERSION)" --out $(BIN)/sspr-image.tar

clean:
	rm -rf $(BIN)
