# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export FLASK_APP := wsgi

.PHONY: run test install lint migrate seed bench clean translations operator-key

$(BIN)/python:
	@echo "crowdfund: creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "crowdfund: installing crowdfund, the local Stripe sandbox and the test tools (pinned) into $(VENV)"
	@echo "           (the first time takes a minute or two; later runs skip this step)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[sandbox,dev]'
	@touch $(STAMP)
	@echo "crowdfund: installed"

install: $(STAMP)

## run: install, migrate, seed the demo (empty database only), start everything on 127.0.0.1:5000
run: install
	@scripts/dev.sh

## test: install, lint, run the suite on SQLite, then on PostgreSQL when TEST_POSTGRES_URL
##       is set (scripts/with-postgres.sh make test starts a throwaway cluster)
test: install
	@scripts/test.sh

lint: install
	$(BIN)/ruff check crowdfund tests bench

## bench: every benchmark, as ratios against baselines measured in the same run
##        (sizes: PLEDGES=2000 LARGE=185000 CLOSE_SIZES="10000 100000" CLIENTS=100 RACE=500 MESSAGES=5000;
##         BENCH_DATABASE_URL=postgresql://... to run them on PostgreSQL, and the
##         scale-out benchmark: 1, 2, 3 Celery workers against the global budget)
bench: install
	$(BIN)/python bench/pages.py --pledges $${PLEDGES:-2000} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/sizes.py --large $${LARGE:-185000} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/spike.py $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/pledge.py --clients $${CLIENTS:-100} --race $${RACE:-500} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/close.py $$(for n in $${CLOSE_SIZES:-10000 100000}; do printf -- "--pledges %s " $$n; done) $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	$(BIN)/python bench/settle.py --pledges $${PLEDGES:-2000}
	$(BIN)/python bench/outbox.py --messages $${MESSAGES:-5000} $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL} 2>/dev/null
	@if [ -n "$${BENCH_DATABASE_URL:-}" ]; then \
	  $(BIN)/python bench/scale_out.py --database-url "$$BENCH_DATABASE_URL" --pledges $${SCALE_PLEDGES:-600} 2>/dev/null; \
	else echo "bench/scale_out.py: skipped (needs BENCH_DATABASE_URL=postgresql://... of its own and Debian's redis-server)"; fi

## operator-key: print the demo operator's two-factor key again (development only)
operator-key: install
	@CROWDFUND_ENV=development $(BIN)/flask demo operator-key

## translations: extract every marked text into crowdfund/translations/messages.pot, bring
##               each language's catalogue up to date with it, compile them (docs/i18n.md)
translations: install
	$(BIN)/python -m crowdfund.catalogues update

migrate: install
	CROWDFUND_ENV=development $(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
