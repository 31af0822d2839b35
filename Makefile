# Every target bootstraps the virtual environment from a bare python3 first.
# `make run` and the daily commands install only what running needs (extra `local`: the
# local Kafka broker); `make test`, `lint`, `bench` and `format` add the dev tools.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HASH   := $(shell $(PYTHON) -c "import hashlib;print(hashlib.sha1(open('pyproject.toml','rb').read()).hexdigest()[:12])")
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
# pip's own output (progress, warnings) goes to the log; its tail is shown only on failure.
INSTALL_LOG := var/log/install.log
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet
MANAGE := $(BIN)/python manage.py
# `make run` keeps its Celery queues under their own Redis key prefix, so the ops page shows
# only this platform's queues even when other programs share the Redis.
CELERY_KEY_PREFIX ?= backoffice:

.PHONY: help install install-dev run demo invariants trader reconcile test bench lint format clean

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@mkdir -p var/log
	@echo "installing... (pip's output: $(INSTALL_LOG))"
	@$(PIP) -e '.[local]' >$(INSTALL_LOG) 2>&1 || { tail -n 30 $(INSTALL_LOG); exit 1; }
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	@mkdir -p var/log
	@echo "installing the dev tools... (pip's output: $(INSTALL_LOG))"
	@$(PIP) -e '.[dev]' >$(INSTALL_LOG) 2>&1 || { tail -n 30 $(INSTALL_LOG); exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)  ## the virtual environment with what running needs

install-dev: $(DEV_STAMP)  ## ... and the test, lint and bench tools

run: install  ## start every process on http://127.0.0.1:8000/ (holds the terminal; Ctrl-C stops)
	@CELERY_KEY_PREFIX='$(CELERY_KEY_PREFIX)' $(MANAGE) run_platform

demo: install  ## place the seed's order against the running platform and follow it (STRATEGY=split: across every venue)
	@$(MANAGE) demo $(if $(STRATEGY),--strategy $(STRATEGY))

invariants: install  ## check the ledger, orders, fills, positions and holds in the store
	@$(MANAGE) check_invariants

# make trader NAME=alice DEPOSIT="USD=100000 BTC=2": prints the trader's API token last.
trader: install  ## create a trader: NAME=alice [DEPOSIT="USD=100000 BTC=2"] [PASSWORD=...]
	@test -n '$(NAME)' || { echo 'usage: make trader NAME=alice DEPOSIT="USD=100000"'; exit 2; }
	@$(MANAGE) create_trader '$(NAME)' $(foreach d,$(DEPOSIT),--deposit '$(d)') \
		$(if $(PASSWORD),--password '$(PASSWORD)')

reconcile: install  ## compare every open attempt with what its venue says
	@$(MANAGE) reconcile_venues

test: install-dev  ## the whole suite against real services
	$(BIN)/python -m pytest

bench: install-dev  ## every benchmark; writes var/bench/report.md
	$(BIN)/python -m bench

# mypy's Django plugin imports the settings: as the tests' (DJANGO_TESTING=1) they need no secret
# and write nothing (DJANGO_DEBUG=1 would write var/secret-key, which the tests then read).
lint: install-dev  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_TESTING=1 $(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/*
