# memos — the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libopenblas-dev pkg-config python3 python3-pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Extra flags for memosd, e.g. make run ARGS="--socket /tmp/m.sock"
ARGS ?=

.PHONY: all deps model build release run test test-python bench eval fuzz clean

all: build

# Installs the system packages memos builds against, only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Fetches all-MiniLM-L6-v2 (weights + vocab, sha256-verified) into the model
# cache: $$MEMOS_MODEL_DIR or $$XDG_CACHE_HOME/memos/models/all-MiniLM-L6-v2.
model:
	python3 scripts/fetch_model.py

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product memosd
	$(SWIFT) build -c release --product memctl

# Starts memosd in the foreground on its default socket and data directory.
run: release model
	.build/release/memosd $(ARGS)

# Builds everything (tests included) and runs the whole suite, then the
# Python client's tests against the built memosd.
test: deps model
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory test-python

test-python:
	@if command -v python3 >/dev/null 2>&1; then \
	  PYTHONPATH=clients/python python3 -m unittest discover -s clients/python/tests; \
	else echo "python client tests: skipped (no python3)"; fi

bench: deps model
	$(SWIFT) run -c release memos-bench $(ARGS)

# LoCoMo turn-level recall@k: needs the model and locomo10.json, by default at
# ../shared/data/locomo10.json, else ARGS="--data PATH". No test reads it.
eval: deps model
	$(SWIFT) run -c release memos-eval $(ARGS)

# The protocol fuzzer's long form: FRAMES seeded frames (default 50000,
# SEED 1) against a memosd of its own; fails on any crash, hang,
# internal_error, wrong answer or changed store. The short form is in make test.
FRAMES ?= 50000
SEED ?= 1
fuzz: deps
	$(SWIFT) build --product memos-fuzz
	.build/debug/memos-fuzz --frames $(FRAMES) --seed $(SEED)

clean:
	$(SWIFT) package clean
