# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEV := DJANGO_SETTINGS_MODULE=backoffice.settings.development

.PHONY: run test venv install install-dev lint ci clean bench

# A .venv left by another Python (or one whose Python was removed) is made again, not
# reused: its packages would not import, and every later target would fail.
WANT := import sys; sys.exit(sys.version_info[:2] != (3, 13))
venv:
	@$(PYTHON) -c '$(WANT)' || { echo "Python 3.13 is required (see .python-version): $(PYTHON) is not" >&2; exit 1; }
	@$(BIN)/python -c '$(WANT)' 2>/dev/null || { test ! -e $(VENV) || echo "$(VENV) is not Python 3.13: making it again"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }

install: venv
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/base.txt

install-dev: venv
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/dev.txt

## Run the back-office on SQLite with demo data and a local staff login (admin / admin).
run: install
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_demo
	$(DEV) $(BIN)/python manage.py ensure_dev_login
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

## Run the whole test suite (on PostgreSQL when DATABASE_URL is set, else SQLite).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

ci:
	bash .ci/run

## The benchmark (PostgreSQL at BENCH_PG, default postgres://postgres@127.0.0.1:5432); not a test.
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
