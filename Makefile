# Two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= var/store
HOST ?= 127.0.0.1
PORT ?= 8000
SIZES ?= 10000,100000
BENCH_SECONDS ?= 5

.PHONY: serve test lint check clean bench

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

test: lint
	$(BIN)/pytest

# Measure against Oxigraph's server, rdflib-endpoint, owlrl and reasonable (installed into bench/.venv);
# writes bench/RESULTS.md. The full growth run: make bench SIZES=10000,100000,1000000
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run --sizes $(SIZES) --seconds $(BENCH_SECONDS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
