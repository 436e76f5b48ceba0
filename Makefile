# LEAP M&E — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
PO     := $(wildcard leap_me/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run test install translations extract lint bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e . --config-settings editable_mode=compat
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $@

install: $(STAMP) translations

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d leap_me/translations -l $(word 3,$(subst /, ,$<)) -i $< -o $@ >/dev/null

translations: $(MO)

## Extract every marked string into the template, then merge it into the catalogues.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k L_ --no-location --sort-output -o leap_me/translations/messages.pot .
	$(BIN)/pybabel update -i leap_me/translations/messages.pot -d leap_me/translations --no-fuzzy-matching --ignore-obsolete

## One process: migrate, seed an empty database, list the demo accounts, serve (gunicorn).
run: install
	@$(BIN)/leap-me run --setup --host 127.0.0.1 --port $(PORT)

test: $(TSTAMP) translations
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Speed goals as ratios to floors measured in the same run (docs/architecture.md).
bench: $(TSTAMP) translations
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

## mutmut over the core modules, each with its own tests; fails below 85 % (scripts/mutation.py).
mutation: $(TSTAMP) translations
	$(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache mutants
