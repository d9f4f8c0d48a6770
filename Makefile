# 医保结算审核平台 — developer entry points.
#
#   make demo    virtualenv, install, migrate, demo policy pack, synthetic city (a past year and this one),
#                its fund side (budgets, statements, the past year cleared), the demo day's daily run, DIP lists,
#                the past year's final DIP run in its clearing and this year's trial run, serve
#   make test    the whole pytest suite against the local PostgreSQL server (never SQLite)
#
# Everything runs from the project's own virtualenv (.venv), created on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The demo runs on SQLite unless DATABASE_URL is set, and eagerly unless CELERY_BROKER_URL is set.
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
# The day seed_demo writes fee uploads for, and the day run_daily adjudicates.
DEMO_DATE ?= 2026-03-16
SHARED_POLICY := ../shared/policies/demo-city-2026.json
REPO_POLICY := policy_rules/fixtures/demo-city-2026.json
POLICY_PACK ?= $(if $(wildcard $(SHARED_POLICY)),$(SHARED_POLICY),$(REPO_POLICY))

# make test: the local PostgreSQL server; pytest-django creates and drops test_yibao.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/yibao

# the shared worked examples and the project's own (docs/benefit-layers.md)
PROJECT_CASES := $(wildcard policy_rules/fixtures/cases/*.json)
CASES ?= $(wildcard ../shared/cases/*.json) $(PROJECT_CASES)
DIP_CASES ?= $(wildcard ../shared/cases-dip/*.json) $(wildcard policy_rules/fixtures/cases-drg/*.json)
LOCALES := zh_Hans en

.PHONY: help venv demo test cases lint bench migrate messages clean

help:
	@echo "make demo      install, migrate, load the demo policy pack, seed a small city, run the daily job, serve on $(DEMO_HOST):$(DEMO_PORT)"
	@echo "make test      run the whole test suite against PostgreSQL (DATABASE_URL, default $(TEST_DATABASE_URL))"
	@echo "make cases     run the shared worked examples (../shared/cases/*.json, ../shared/cases-dip/*.json) and the project's (policy_rules/fixtures/cases/)"
	@echo "make bench     run the benchmarks in bench/ (BENCH=daily for one of them); figures in docs/benchmarks.md"
	@echo "make lint      ruff"
	@echo "make migrate   apply migrations to the configured database"
	@echo "make messages  refresh and compile translations ($(LOCALES))"
	@echo "make venv      create .venv and install the project with its dev extras"

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# pip runs again only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

demo: venv
	DEBUG=1 $(PY) manage.py migrate --noinput
	@echo "== policy pack: $(POLICY_PACK)"
	DEBUG=1 $(PY) manage.py import_policy $(POLICY_PACK)
	DEBUG=1 $(PY) manage.py seed_demo --date $(DEMO_DATE) --history
	DEBUG=1 $(PY) manage.py setup_roles
	DEBUG=1 $(PY) manage.py import_chronic_diseases
	DEBUG=1 $(PY) manage.py load_default_rules
	DEBUG=1 $(PY) manage.py seed_demo_fund --date $(DEMO_DATE)
	DEBUG=1 $(PY) manage.py import_grouping_table casemix/fixtures/demo-dip-2026.csv --code DEMO-DIP-2026 \
	  --name 示范市DIP病种目录2026 --region 410800 --effective-from 2026-01-01 \
	  --params casemix/fixtures/demo-dip-params-2026.json
# the past year's DIP catalogue (seed_demo_dip closes that year with it): the same groups, points and reference
# costs as 2026's, imported as its own 2025 version
	DEBUG=1 $(PY) manage.py import_grouping_table casemix/fixtures/demo-dip-2026.csv --code DEMO-DIP-2025 \
	  --name 示范市DIP病种目录2025 --region 410800 --effective-from 2025-01-01 --effective-to 2025-12-31 \
	  --params casemix/fixtures/demo-dip-params-2025.json
	DEBUG=1 $(PY) manage.py run_daily --date $(DEMO_DATE)
	DEBUG=1 $(PY) manage.py seed_demo_dip --date $(DEMO_DATE)
	DEBUG=1 $(PY) manage.py ensure_demo_user --base-url http://$(DEMO_HOST):$(DEMO_PORT)
	DEBUG=1 $(PY) manage.py runserver $(DEMO_HOST):$(DEMO_PORT)

test: venv
	@DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(PY) scripts/check_postgres.py
	@rc=0; DEBUG=1 REQUIRE_POSTGRES=1 DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" CELERY_BROKER_URL= \
	  $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); that is a failure." >&2; fi; \
	exit $$rc

# make cases keeps its scratch SQLite file (var/scratch-cases.sqlite3, migrated forward on each run; `make clean`
# removes it): both runners share it, and the migrations are replayed once rather than on every run.
cases: venv
	@if [ -z "$(strip $(CASES))" ]; then echo "make cases: no case files found (looked for ../shared/cases/*.json and policy_rules/fixtures/cases/*.json)" >&2; exit 1; fi
	DEBUG=1 $(PY) manage.py run_cases --keep-db $(CASES)
	@if [ -n "$(strip $(DIP_CASES))" ]; then DEBUG=1 $(PY) manage.py run_dip_cases --keep-db $(DIP_CASES); fi

lint: venv
	$(VENV)/bin/ruff check .

# make bench: every bench/*_bench.py in turn, each against its own scratch databases on the PostgreSQL server
# of DATABASE_URL (default $(TEST_DATABASE_URL)); BENCH=daily runs bench/daily_bench.py only. Never part of make test.
BENCH ?=
bench: venv
	@scripts=$$(ls bench/$(if $(BENCH),$(BENCH),*)_bench.py 2>/dev/null); \
	if [ -z "$$scripts" ]; then echo "make bench: no benchmark scripts bench/$(if $(BENCH),$(BENCH),*)_bench.py" >&2; exit 1; fi; \
	for s in $$scripts; do echo "== $$s"; DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(PY) $$s || exit $$?; done

messages: venv
	DEBUG=1 $(PY) manage.py makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete \
	  --ignore=.venv --ignore=staticfiles --ignore=static/vendor --ignore=media --ignore=build
	DEBUG=1 $(PY) manage.py compilemessages $(addprefix -l ,$(LOCALES)) --ignore=.venv

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache var/scratch-cases.sqlite3
