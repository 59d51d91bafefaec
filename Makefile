# memos — the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libopenblas-dev pkg-config python3 python3-pip python3-venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Extra flags for memosd, e.g. make run ARGS="--socket /tmp/m.sock"
ARGS ?=

.PHONY: all deps model build release run test test-python test-mcp bench bench-peers bench-onnx eval fuzz clean

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
	$(MAKE) --no-print-directory test-mcp

test-python:
	@if command -v python3 >/dev/null 2>&1; then \
	  PYTHONPATH=clients/python python3 -m unittest discover -s clients/python/tests; \
	else echo "python client tests: skipped (no python3)"; fi

# memctl mcp against the official MCP Python SDK, newest from the package
# index, in a venv cached under .build/ (offline: the cached one, else skipped).
MCP_VENV := .build/mcp-venv
test-mcp:
	@if ! command -v python3 >/dev/null 2>&1; then echo "MCP SDK test: skipped (no python3)"; exit 0; fi; \
	if [ ! -x $(MCP_VENV)/bin/python ]; then python3 -m venv $(MCP_VENV) || { echo "MCP SDK test: skipped (python3 -m venv failed)"; exit 0; }; fi; \
	$(MCP_VENV)/bin/pip install -q --disable-pip-version-check --upgrade mcp >/dev/null 2>&1 || echo "MCP SDK test: could not reach the package index; using the cached SDK"; \
	if ! $(MCP_VENV)/bin/python -c "import mcp" 2>/dev/null; then echo "MCP SDK test: skipped (the mcp package is not installed and cannot be fetched)"; exit 0; fi; \
	$(MCP_VENV)/bin/python scripts/test_mcp_sdk.py .build/debug

bench: deps model
	$(SWIFT) run -c release memos-bench $(ARGS)

# memos' HNSW beside hnswlib, FAISS and usearch (from PyPI, in a venv under .build/) on the
# same seeded fvecs files: make bench-peers [POINTS=100000] [PEER_ARGS="--ef-construction 200"]
ANN_VENV := .build/ann-venv
POINTS ?= 100000
bench-peers: deps
	$(SWIFT) build -c release --product memos-bench
	@if [ ! -x $(ANN_VENV)/bin/python ]; then python3 -m venv $(ANN_VENV); fi
	$(ANN_VENV)/bin/pip install -q --disable-pip-version-check numpy hnswlib faiss-cpu usearch
	@if [ ! -f .build/ann-data-$(POINTS)/truth.ivecs ]; then .build/release/memos-bench ann-data --points $(POINTS) --out .build/ann-data-$(POINTS); fi
	$(ANN_VENV)/bin/python scripts/bench_ann_peers.py --base .build/ann-data-$(POINTS)/base.fvecs \
	  --queries .build/ann-data-$(POINTS)/queries.fvecs --truth .build/ann-data-$(POINTS)/truth.ivecs \
	  --memos .build/release/memos-bench $(PEER_ARGS)

# memos' MiniLM beside ONNX Runtime (from PyPI, in a venv under .build/) on the same weights,
# texts and query, interleaved: make bench-onnx [ONNX_ARGS="--texts 1000 --rounds 3"]
ONNX_ARGS ?= --texts 300 --rounds 2
bench-onnx: deps model
	$(SWIFT) build -c release --product memos-bench
	python3 scripts/bench_onnxruntime.py --memos .build/release/memos-bench $(ONNX_ARGS)

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
