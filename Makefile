# partyreg — `make demo` and `make test` work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= demo-out

.PHONY: demo demo-pg test lint typecheck pytest bench bench-full clean install forms-png web-png

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml examples/partyreg-huaian-local/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e examples/partyreg-huaian-local
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py --out $(DEMO_DIR)

# The same flow on PostgreSQL, each operator logged in as their own role (the superuser URL
# only makes the demo's database and admin role).
DEMO_PG ?= postgresql://postgres@127.0.0.1:5432/test
demo-pg: $(STAMP)
	$(BIN)/python examples/demo.py --out $(DEMO_DIR)-pg --pg $(DEMO_PG)

LINT_DIRS := $(wildcard src tests examples bench)

# the first page of every form as printed (LibreOffice), from the demo store: docs/forms/*.png
FORMS_DEMO := $(DEMO_DIR)-forms
forms-png: $(STAMP)
	rm -rf $(FORMS_DEMO)
	$(BIN)/python examples/demo.py --out $(FORMS_DEMO) > $(FORMS_DEMO).log
	$(BIN)/python examples/forms_png.py --demo $(FORMS_DEMO) --out docs/forms

# every page of the members' site as a phone shows it (390×844, Debian's Chromium): docs/web/*.png
WEB_DEMO := $(DEMO_DIR)-web
web-png: $(STAMP)
	rm -rf $(WEB_DEMO)
	$(BIN)/python examples/demo.py --out $(WEB_DEMO) > $(WEB_DEMO).log
	$(BIN)/python examples/web_png.py --demo $(WEB_DEMO) --out docs/web

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench --quick

# every benchmark at its full size (longer than 15 minutes)
bench-full: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_DIR)-forms $(DEMO_DIR)-forms.log $(DEMO_DIR)-web $(DEMO_DIR)-web.log .pytest_cache .mypy_cache .ruff_cache
