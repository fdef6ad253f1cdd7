#!/usr/bin/env bash
# `make run`: migrate, seed the demo when the database is empty, start the background
# jobs and the web app on 127.0.0.1:5000; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CROWDFUND_ENV="${CROWDFUND_ENV:-development}"
export FLASK_APP=wsgi
BIN=.venv/bin
PORT="${PORT:-5000}"

"$BIN/flask" db upgrade
"$BIN/flask" demo seed

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

"$BIN/flask" campaigns launch-scheduled --watch --interval 30 &
pids+=($!)

echo
echo "crowdfund is running at http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
echo
"$BIN/flask" run --host 127.0.0.1 --port "$PORT" &
pids+=($!)
wait "${pids[-1]}"
