# Two commands: `make run` sets up and starts the platform; `make test` sets up and runs every check.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-spark setup check lint typecheck pytest browser-deps postgres bench lock docs clean

run: setup
	$(BIN)/missionhub db upgrade
	$(BIN)/missionhub demo load
	@echo "Mission Hub on http://$(HOST):$(PORT) (demo accounts above; Ctrl-C to stop)"
	$(BIN)/missionhub serve --host $(HOST) --port $(PORT)

test: setup browser-deps postgres check pytest

setup: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip sync --python $(BIN)/python requirements/dev.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

check: lint typecheck

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy src

pytest: setup
	MISSIONHUB_REQUIRE_POSTGRES=1 $(BIN)/pytest $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null)

# PostgreSQL for the tests: start the local cluster if it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1

# The Spark backend of in-the-clear deduplication (pyspark is several hundred MB, so it is an
# optional extra and CI skips this test; needs Java 17).
test-spark: setup
	$(BIN)/uv pip install --python $(BIN)/python "pyspark>=3.5"
	$(BIN)/pytest tests/linkage/test_splink.py -q -rs

# Reference docs generated from code (a test fails when they drift).
docs: setup
	$(BIN)/python -m missionhub.reference

# Benchmarks print measurements; they are not pass/fail tests.
bench: setup postgres
	@command -v wrk >/dev/null && command -v nginx >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null)
	$(BIN)/python -m benchmarks.run_all $(BENCH)

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -o requirements/base.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
