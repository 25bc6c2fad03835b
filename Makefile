# Argonaut: `make run` to try it, `make test` before every commit.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BUILD     := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
PLATFORMS := linux/amd64 linux/arm64 windows/amd64 darwin/arm64
DATA      ?= ./data

.PHONY: all build build-all run test templ-check fmt-check vet unit bench fuzz clean

all: build

## build: bin/argonaut for this machine (static, version from git describe)
build:
	$(BUILD) -o bin/argonaut .

## build-all: cross-compile bin/argonaut-<os>-<arch>[.exe] for every release platform
build-all:
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		echo "build bin/argonaut-$$os-$$arch$$ext"; \
		GOOS=$$os GOARCH=$$arch $(BUILD) -o bin/argonaut-$$os-$$arch$$ext .; \
	done

## run: build and start a server on http://127.0.0.1:8080 with data in ./data and a printed login
## (more server flags: make run ARGS='--listen 127.0.0.1:9090 --log-level debug')
run: build
	@mkdir -p $(DATA)
	@if [ ! -s $(DATA)/admin-password ]; then \
		(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | head -c 24 > $(DATA)/admin-password); \
	fi
	@echo "Log in as: admin / $$(cat $(DATA)/admin-password)   (generated on first run, kept in $(DATA)/admin-password)"
	ARGONAUT_ADMIN_USERNAME=admin ARGONAUT_ADMIN_PASSWORD_FILE=$(DATA)/admin-password ./bin/argonaut server --data-dir $(DATA) $(ARGS)

## test: generated templ code is fresh, gofmt clean, go vet, then all tests with the race detector
test: templ-check fmt-check vet unit

# Runs the pinned generator and fails if any *_templ.go changes (stale
# output) or, in CI, if generated files are not committed. Without .templ
# files there is nothing to check.
templ-check:
	@if [ -z "$$(find . -name '*.templ' -not -path './data/*' -not -path './bin/*' | head -n 1)" ]; then \
		echo "templ-check: no .templ files"; \
	else \
		sums() { find . -name '*_templ.go' -not -path './data/*' | LC_ALL=C sort | xargs -r sha256sum; }; \
		before=$$(sums); \
		out=$$($(GO) tool templ generate 2>&1) || { echo "$$out"; exit 1; }; \
		if [ "$$before" != "$$(sums)" ]; then \
			echo "templ-check: *_templ.go were stale; regenerated them (go tool templ generate): commit the result"; \
			git status --porcelain -- '*_templ.go' 2>/dev/null; exit 1; \
		fi; \
		if [ -n "$$CI" ] && [ -n "$$(git status --porcelain -- '*_templ.go' 2>/dev/null)" ]; then \
			echo "templ-check: generated files are not committed:"; git status --porcelain -- '*_templ.go'; exit 1; \
		fi; \
		echo "templ-check: ok"; \
	fi

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './data/*' -not -path './bin/*')); \
	if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race ./...

## bench: all benchmarks, no tests
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: run every fuzz target for FUZZTIME each (default 20s)
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
