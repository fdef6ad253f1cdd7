# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export FLASK_APP := wsgi

.PHONY: run test install lint migrate seed bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: install, migrate, seed the demo (empty database only), start everything on 127.0.0.1:5000
run: install
	@scripts/dev.sh

## test: install and run the whole suite (SQLite, and PostgreSQL when available)
test: install
	@scripts/test.sh

lint: install
	$(BIN)/ruff check crowdfund tests bench

## bench: settlement vs the sandbox, and pages vs a bare Flask page (N=2000 pledges), as ratios
bench: install
	$(BIN)/python bench/settle.py --pledges $${PLEDGES:-2000}
	$(BIN)/python bench/pages.py --pledges $${PLEDGES:-2000} 2>/dev/null

migrate: install
	CROWDFUND_ENV=development $(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
