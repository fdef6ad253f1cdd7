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

## bench: every benchmark, as ratios against baselines measured in the same run
##        (sizes: PLEDGES=2000 CLOSE_SIZES="10000 100000" CLIENTS=100 RACE=500;
##         BENCH_DATABASE_URL=postgresql://... to run them on PostgreSQL, and the
##         scale-out benchmark: 1, 2, 3 Celery workers against the global budget)
bench: install
	$(BIN)/python bench/pages.py --pledges $${PLEDGES:-2000} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/pledge.py --clients $${CLIENTS:-100} --race $${RACE:-500} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/close.py $$(for n in $${CLOSE_SIZES:-10000 100000}; do printf -- "--pledges %s " $$n; done) $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/settle.py --pledges $${PLEDGES:-2000}
	@if [ -n "$${BENCH_DATABASE_URL:-}" ]; then \
	  $(BIN)/python bench/scale_out.py --database-url "$$BENCH_DATABASE_URL" --pledges $${SCALE_PLEDGES:-600} 2>/dev/null; \
	else echo "bench/scale_out.py: skipped (needs BENCH_DATABASE_URL=postgresql://... of its own and Debian's redis-server)"; fi

migrate: install
	CROWDFUND_ENV=development $(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
