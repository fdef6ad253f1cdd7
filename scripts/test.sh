#!/usr/bin/env bash
# `make test`: lint, then the suite on SQLite, then on PostgreSQL when one is available
# (TEST_POSTGRES_URL, set by scripts/with-postgres.sh or by you). Never skips silently.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0
skipped=()

echo "== ruff"
"$BIN/ruff" check crowdfund tests bench || status=1

if [ ! -x /usr/bin/chromium ]; then
  skipped+=("Browser suite (tests/browser): no /usr/bin/chromium. Install Debian's chromium package (apt-get install chromium); .ci/run does.")
fi

if [ ! -x /usr/bin/redis-server ]; then
  skipped+=("Redis tests (the shared rate budget): no /usr/bin/redis-server. Install Debian's redis-server package (apt-get install redis-server); .ci/run does.")
fi

echo "== test suite on SQLite"
env -u TEST_DATABASE_URL "$BIN/pytest" -q "$@" || status=1

if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  echo "== test suite on PostgreSQL"
  # The browser suite exercises pages, not the database: it runs once, on SQLite.
  TEST_DATABASE_URL="$TEST_POSTGRES_URL" "$BIN/pytest" -q --ignore=tests/browser "$@" || status=1
else
  skipped+=("PostgreSQL suite: no TEST_POSTGRES_URL. Run 'scripts/with-postgres.sh make test' (needs Debian's postgresql package) or set TEST_POSTGRES_URL=postgresql://user@host/db.")
fi

if [ ${#skipped[@]} -gt 0 ]; then
  echo
  echo "SKIPPED (not run, see how to get them):"
  for s in "${skipped[@]}"; do echo "  - $s"; done
  if [ "${CI:-}" = "true" ]; then
    echo "CI must skip nothing: failing."
    status=1
  fi
fi
exit $status
