# Two commands: `make run` sets everything up and serves the site; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The suite runs in this many processes (pytest-xdist); 0 runs it in one.
TEST_PROCESSES ?= 2

# `make run` defaults: SQLite, Celery eager, emails printed, DEBUG off (so the real 404 and 500
# pages show) over plain http on 127.0.0.1. The key below is for this local demo only;
# production sets its own SECRET_KEY (see README).
RUN_ENV := DEBUG=$${DEBUG:-false} USE_HTTPS=$${USE_HTTPS:-false} \
	SECRET_KEY=$${SECRET_KEY:-local-demo-only-not-a-secret} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test lint format worker beat bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py collectstatic_if_changed -v0
	$(RUN_ENV) $(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl+C to stop)"
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# Load test on loopback: gunicorn and a worker on the local PostgreSQL and Redis (README, Benchmark).
bench: $(VENV)/.installed-dev
	$(BIN)/python tests/load/bench_http.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(VENV)/.installed-run
	$(BIN)/celery -A config worker -l info -Q celery,mail,webhooks

beat: $(VENV)/.installed-run
	$(BIN)/celery -A config beat -l info

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache
