#!/usr/bin/env bash
# `make run`: start the local Stripe sandbox (unless Stripe keys are set), migrate, seed the
# demo when the database is empty, start the periodic jobs and the web app on
# 127.0.0.1:5000. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CROWDFUND_ENV="${CROWDFUND_ENV:-development}"
export FLASK_APP=wsgi
BIN=.venv/bin
PORT="${PORT:-5000}"
SANDBOX_PORT="${SANDBOX_PORT:-8420}"
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:${PORT}}"  # links in emails

pids=()
# Background helpers ignore Ctrl-C (bash does that for `&` jobs in scripts): stop them here.
cleanup() {
  for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null
}
# Keep a background loop running: if it ever exits (a crash, an OOM kill), start it again.
supervise() {
  while true; do
    "$@" || true
    echo "crowdfund: '${*:2:2}' stopped; restarting it in 5 s" >&2
    sleep 5
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  echo "crowdfund: starting the local Stripe sandbox on 127.0.0.1:${SANDBOX_PORT}"
  mkdir -p instance
  [ -f instance/sandbox_webhook_secret ] || \
    "$BIN/python" -c 'import secrets; print("whsec_" + secrets.token_hex(24))' \
      > instance/sandbox_webhook_secret
  export STRIPE_WEBHOOK_SECRET="$(cat instance/sandbox_webhook_secret)"
  export STRIPE_API_BASE="http://127.0.0.1:${SANDBOX_PORT}"
  export STRIPE_JS_URL="${STRIPE_API_BASE}/js.stripe.com/v3/"
  # Its customers, cards and charges are kept in instance/ across restarts, with the
  # database that points to them (delete instance/ to start again).
  "$BIN/python" -m crowdfund.payments.sandbox --port "$SANDBOX_PORT" \
    --state-file instance/sandbox-state.pickle \
    --webhook-url "http://127.0.0.1:${PORT}/webhooks/stripe" \
    --webhook-secret "$STRIPE_WEBHOOK_SECRET" &
  pids+=($!)
  for _ in $(seq 1 100); do
    "$BIN/python" -c "import urllib.request as u; u.urlopen('${STRIPE_JS_URL}', timeout=1)" \
      2>/dev/null && break
    sleep 0.2
  done
  echo "No Stripe keys set: using the local Stripe sandbox at ${STRIPE_API_BASE}"
  echo "  test cards: 4242 4242 4242 4242 (works), 4000 0025 0000 3155 (3-D Secure),"
  echo "              4000 0000 0000 0002 (declined); any future expiry, any CVC"
fi

echo "crowdfund: bringing the database up to date (instance/)"
"$BIN/flask" db upgrade
echo "crowdfund: seeding the demo (only into an empty database; the first time pledges and"
echo "           settles through the sandbox, a few seconds)"
"$BIN/flask" demo seed

# The embedded runner: the periodic passes and every background job, no broker needed
# (production runs the same jobs on Celery workers: README "Deploying").
supervise "$BIN/flask" jobs run --watch &
pids+=($!)

echo
echo "crowdfund is running at http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
if [ -z "${SMTP_HOST:-}" ]; then
  echo "Email is not sent (no SMTP_HOST): read it at http://127.0.0.1:${PORT}/dev/mail"
fi
echo
# In the foreground, so that Ctrl-C reaches it; the EXIT trap then stops the rest.
"$BIN/flask" run --host 127.0.0.1 --port "$PORT"
