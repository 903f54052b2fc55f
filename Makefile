# The portal's build. GNU make.
#
#   make run     build, then start a development server on 127.0.0.1:8080
#   make test    everything CI checks (.ci/run)
#   make build   bin/sspr and bin/web/app.wasm
#   make bench   the benchmarks (scripts/bench.sh)
#   make fuzz    every fuzz target for FUZZTIME each (default 30s)
#   make clean

GO       ?= go
BIN      := bin
FUZZTIME ?= 30s
# -X main.version=... names the build; empty: taken from the module.
VERSION  ?=
LDFLAGS  := $(if $(VERSION),-X main.version=$(VERSION))

.PHONY: all build server wasm run deps test fmt-check vet unit bench fuzz clean

all: build

build: server wasm

# Go's build cache makes these cheap to run every time, and always right.
server:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/sspr ./server/cmd/sspr

wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/web/app.wasm ./app/cmd/wasm

run: build
	./$(BIN)/sspr serve --dev --listen 127.0.0.1:8080 --data data/dev

deps:
	scripts/deps.sh

test: deps build fmt-check vet unit

fmt-check:
	@files="$$(gofmt -l .)"; \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting (gofmt -w):"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/...

unit:
	$(GO) test -race -count=1 ./...

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN)
