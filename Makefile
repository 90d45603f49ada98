# One command to set up and run the main job (make demo), one for the tests (make test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Options for the demo, e.g. make demo DEMO_ARGS="--site-port 8766 --port 8002"
DEMO_ARGS ?=

demo: $(STAMP)
	$(BIN)/newsarchive demo --serve $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/ruff check archive pipelines crawler tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check archive pipelines crawler tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data
