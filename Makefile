# Sanat: `make run` sets up and runs everything (embedded SQLite); `make test` runs the checks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-slow lint fmt typecheck pytest babel-extract babel-update babel-compile \
        migrate migration bench compose-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Sanat needs Python 3.11+; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install Sanat with its dev tools

babel-compile: $(STAMP) ## compile locales/*.po into .mo
	$(BIN)/pybabel compile -d locales -D messages

babel-extract: $(STAMP) ## extract messages into locales/messages.pot
	$(BIN)/pybabel extract -F locales/babel.cfg -k _ -k __ -k N_ -k lazy_gettext -k ngettext:1,2 -k msg -k msg_plural:1,2 --sort-output -w 99 \
		--no-location --project=sanat --version=0.1.0 -o locales/messages.pot .

babel-update: babel-extract ## merge the template into the kk/ru/en catalogs
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete -w 99

run: install babel-compile ## migrate the embedded database and run backend, scheduler and bot
	$(BIN)/sanat run

migrate: install ## apply migrations to SANAT_DATABASE_URL
	$(BIN)/sanat migrate

migration: install ## autogenerate a migration: make migration m="what changed"
	$(BIN)/python -c "from alembic import command; from backend.migrate import alembic_config; \
		command.revision(alembic_config('sqlite+aiosqlite:///./var/autogen.db'), message='$(m)', autogenerate=True)" \
		|| true

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install ## format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy on the whole tree
	$(BIN)/mypy .

pytest: install babel-compile ## the test suite only (without the `slow` tests)
	$(BIN)/pytest

test: lint typecheck pytest ## ruff, mypy and pytest (without the `slow` tests)

# pytest exits 5 when it collects nothing: no test marked slow is not a failure.
test-slow: install babel-compile ## only the `slow` tests (10 000 recipients, worker crashes); CI runs them
	$(BIN)/pytest -m slow || [ $$? -eq 5 ]

bench: install babel-compile ## print the benchmark figures
	$(BIN)/python -m bench

compose-check: ## validate docker/compose.yaml
	@if docker compose version >/dev/null 2>&1; then docker compose -f docker/compose.yaml config -q; \
	elif command -v docker-compose >/dev/null 2>&1; then docker-compose -f docker/compose.yaml config -q; \
	else echo "no docker compose here; skipped"; fi

clean: ## remove the virtualenv, caches and the embedded database
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
