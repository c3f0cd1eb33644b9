# Two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= var/store
HOST ?= 127.0.0.1
PORT ?= 8000
SIZES ?= 10000,20000,100000,1000000
BENCH_ARGS ?=
BENCH_SECONDS ?= 5
# Test processes (pytest-xdist): the suite's tests are independent, each with its own stores, ports and engines.
TEST_WORKERS ?= 2

.PHONY: serve test lint check clean bench chromium virtuoso conformance epoch

# The service alone (make serve), and the service with the test tools (make test), in one .venv.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(VENV)/.installed
	$(BIN)/genai-kg serve --store $(STORE) --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check graph server tests bench
	$(BIN)/ruff format --check graph server tests bench
	$(BIN)/mypy

test: lint chromium virtuoso
	$(BIN)/pytest --numprocesses $(TEST_WORKERS)

# Re-run the Epoch AI import: reconcile ontology/epoch/notable-ai-models.csv with the article and map it by
# SPARQL into ontology/epoch/notable-ai-models.ttl, ontology/derived/epoch.ttl and the reconciliation report
# (about 2 s; the same CSV gives the same files). See docs/sources.md.
epoch: $(VENV)/.installed
	$(BIN)/python -m graph.sources.epoch

# Headless Chromium for tests/test_browser.py: Debian's package, installed when missing (CI runs as root).
# Without root or apt-get it only warns, and the browser tests skip saying why.
chromium:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; \
	else echo "chromium is missing and cannot be installed here: the browser tests will be skipped"; fi

# Debian's Virtuoso, a second remote engine for tests/test_virtuoso_*.py (about 6 s; skipped, saying why,
# without root or apt-get). Oxigraph's server, the first, comes from PyPI with the test extras.
# `GENAI_KG_TEST_VIRTUOSO=1 make test` runs every both-backends test on it too; see docs/virtuoso.md.
virtuoso:
	@sh tests/engines/install-virtuoso.sh

# Measure against Oxigraph's server, rdflib-endpoint, owlrl and reasonable (installed into bench/.venv);
# writes bench/RESULTS.md (about 15 minutes on 2 cores; 1M models are loaded but not served unless
# BENCH_ARGS="--serve-max 1000000"). See bench/README.md.
# make bench QUICK=1: 20,000 models only (look-ups beside Oxigraph's server and the naive Flask app, small
# queries under runaway ones, joins, aggregates, large results), no inference or remote: a few minutes.
ifdef QUICK
bench: SIZES = 20000
bench: BENCH_SECONDS = 3
bench: QUICK_ARGS = --quick
endif
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run --sizes $(SIZES) --seconds $(BENCH_SECONDS) $(QUICK_ARGS) $(BENCH_ARGS)

# The W3C SPARQL 1.1 suites (query, update, syntax, protocol, Graph Store, Service Description) when the
# test data is checked out beside this repository; prints pass/fail counts. Not part of `make test`.
W3C_SPARQL ?= ../shared/w3c-rdf-tests/sparql
conformance: $(VENV)/.installed-test
	@if [ -d $(W3C_SPARQL)/sparql11 ]; then $(BIN)/python -m tests.conformance.run --suites query,sparql10,syntax,update,protocol,gsp,sd $(W3C_SPARQL); \
	else echo "no W3C test data at $(W3C_SPARQL): set W3C_SPARQL=path/to/w3c-rdf-tests/sparql"; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
