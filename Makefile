# Every target bootstraps the virtual environment from a bare python3 first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha1(open('pyproject.toml','rb').read()).hexdigest()[:12])")

.PHONY: install run demo test bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)  ## make the virtual environment and install the project

run: install  ## start every process of the platform on http://127.0.0.1:8000/
	$(BIN)/python manage.py run_platform

demo: install  ## place the seed's order against the running platform
	$(BIN)/python manage.py demo

test: install  ## the whole suite against real services
	$(BIN)/python -m pytest

bench: install  ## every benchmark; writes var/bench/report.md
	$(BIN)/python -m bench

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/*
