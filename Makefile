# Two commands do everything on a fresh machine:  make run  and  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT
# A machine may set PYTHONDONTWRITEBYTECODE: every server process a test starts then compiled the
# project's modules anew (0.7 s a start here). Python keeps its bytecode under __pycache__/.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test setup system-deps services db seed migrations lint format bench clean fuzz

$(BIN)/python:
	$(PY) -m venv $(VENV)

.stamp-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: .stamp-deps  ## virtual environment and Python packages

db: setup  ## apply the migrations to the configured database
	$(BIN)/flask --app app db upgrade

seed: db  ## load the demo data (idempotent)
	$(BIN)/flask --app app seed-demo

REGULATOR_MOCK_PORT ?= 5002

run: seed  ## set up, migrate, load demo data and serve on http://$(HOST):$(PORT) (the mock regulator beside it)
	@echo "Serving on http://$(HOST):$(PORT)  (demo password: $${DEMO_PASSWORD:-Demo@2026})"
	@# The mock supervision platform runs as its own process (the insurer runs in-process by default);
	@# it stops with the server. Set REGULATOR_URL to report elsewhere instead.
	$(BIN)/python -m regulator.mock_platform --host 127.0.0.1 --port $(REGULATOR_MOCK_PORT) & regulator=$$!; \
	trap 'kill $$regulator 2>/dev/null' EXIT INT TERM; \
	REGULATOR_URL=$${REGULATOR_URL:-http://127.0.0.1:$(REGULATOR_MOCK_PORT)} bash scripts/janus.sh $(BIN)/python app.py

system-deps:  ## as root on Debian: Chromium, PostgreSQL, Redis and tools the suite needs
	@bash scripts/system-deps.sh

test: setup system-deps  ## set up and run the whole suite (starts PostgreSQL and Redis on loopback)
	@bash scripts/with-services.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

migrations: setup  ## regenerate the initial migration from the models
	bash scripts/regen_migration.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup  ## every bench/ script (PostgreSQL and Redis on loopback when installed); one table
	@bash scripts/with-services.sh $(BIN)/python bench/run.py $(BENCH)

.PHONY: run-cluster
run-cluster: setup  ## nginx in front of N app processes (N=2), Redis, PostgreSQL: scripts/run-cluster.sh
	@bash scripts/run-cluster.sh $${N:-2}

clean:
	rm -rf $(VENV) .stamp-deps instance test-artifacts

fuzz: setup  ## fuzz the API from its OpenAPI document, every role, 50 cases per operation (~15 min)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} $(BIN)/python -m pytest -q -p no:cacheprovider --timeout=3600 tests/hardening/test_fuzz.py
