# Every target bootstraps the virtual environment from a bare python3 first.
# `make run` and the daily commands install only what running needs (extra `local`: the
# local Kafka broker); `make test`, `lint`, `bench` and `format` add the dev tools.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# uv installs the packages (pip took minutes); its own version is pinned here. The locks hold
# every package's exact version and hashes, so an install resolves nothing: `make lock` writes
# them from pyproject.toml, where the pins are kept (tests/unit/test_locks.py keeps them in step).
UV_VERSION := 0.13.8
UV       := $(BIN)/uv
RUN_LOCK := requirements/run.txt
DEV_LOCK := requirements/dev.txt
HASH   := $(shell $(PYTHON) -c "import hashlib;print(hashlib.sha1(b''.join(open(f,'rb').read() for f in ('pyproject.toml','$(RUN_LOCK)','$(DEV_LOCK)'))).hexdigest()[:12])" 2>/dev/null)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
# The installers' own output (progress, warnings) goes to the log; its tail is shown only on failure.
INSTALL_LOG := var/log/install.log
UV_INSTALL := $(UV) pip install --python $(BIN)/python --quiet
# Bytecode compiled once here (with PYTHONDONTWRITEBYTECODE set, each part would compile all it
# imports at every start), but not what the platform never imports (half the files, 7 CPU-s):
# tests, Twisted (daphne's, for the bench), gunicorn (production's). A file that does not compile
# (old syntax in some package's extras) is no failure.
PACKAGES := $(filter-out tests/ bench/,$(dir $(wildcard */__init__.py)))
NO_COMPILE := '/(tests?|twisted|autobahn|zope|automat|gunicorn|daphne|jsonschema)/'
COMPILE := { $(BIN)/python -m compileall -q -j0 -x $(NO_COMPILE) \
	$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))') \
	$(PACKAGES) || true; }
MANAGE := $(BIN)/python manage.py
# `make run` keeps its Celery queues under their own Redis key prefix, so the ops page shows
# only this platform's queues even when other programs share the Redis.
CELERY_KEY_PREFIX ?= backoffice:

.PHONY: help install install-dev run-stamp lock run demo invariants trader reconcile test bench lint format clean

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

# A venv without pip (ensurepip alone took 5-30 s) and uv in it, put there by python3's own pip;
# a python3 without pip gets the venv's.
$(UV):
	@mkdir -p var/log
	@echo "installing uv $(UV_VERSION)..."
	@$(PYTHON) -m venv --without-pip $(VENV)
	@{ $(PYTHON) -m pip --python $(BIN)/python install --quiet uv==$(UV_VERSION) \
		|| { $(BIN)/python -m ensurepip --default-pip \
			&& $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }; } \
		>$(INSTALL_LOG) 2>&1 || { tail -n 30 $(INSTALL_LOG); exit 1; }

# The project itself goes in editable, without its dependencies: the lock brought them.
$(RUN_STAMP): pyproject.toml $(RUN_LOCK) | $(UV)
	@mkdir -p var/log
	@echo "installing... (the installer's output: $(INSTALL_LOG))"
	@{ $(UV_INSTALL) --require-hashes -r $(RUN_LOCK) && $(UV_INSTALL) --no-deps -e . && $(COMPILE); } \
		>>$(INSTALL_LOG) 2>&1 || { tail -n 30 $(INSTALL_LOG); exit 1; }
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): pyproject.toml $(DEV_LOCK) | $(UV)
	@mkdir -p var/log
	@echo "installing with the dev tools... (the installer's output: $(INSTALL_LOG))"
	@{ $(UV_INSTALL) --require-hashes -r $(DEV_LOCK) && $(UV_INSTALL) --no-deps -e . && $(COMPILE); } \
		>>$(INSTALL_LOG) 2>&1 || { tail -n 30 $(INSTALL_LOG); exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $@ $(RUN_STAMP)

# The name of the run stamp, for a test that says this .venv holds what `make install` puts there.
run-stamp:
	@echo $(RUN_STAMP)

install: $(RUN_STAMP)  ## the virtual environment with what running needs

install-dev: $(DEV_STAMP)  ## ... and the test, lint and bench tools

# The locks from pyproject.toml's pins, for every platform, with hashes.
UV_COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' pyproject.toml
lock: | $(UV)  ## rewrite requirements/*.txt after a change of pins in pyproject.toml
	$(UV_COMPILE) --extra local -o $(RUN_LOCK)
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)

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
