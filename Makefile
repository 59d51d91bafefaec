# memos — the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libopenblas-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Extra flags for memosd, e.g. make run ARGS="--socket /tmp/m.sock"
ARGS ?=

.PHONY: all deps build release run test bench clean

all: build

# Installs the system packages memos builds against, only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product memosd
	$(SWIFT) build -c release --product memctl

# Starts memosd in the foreground on its default socket and data directory.
run: release
	.build/release/memosd $(ARGS)

# Builds everything (tests included) and runs the whole suite.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) run -c release memos-bench $(ARGS)

clean:
	$(SWIFT) package clean
