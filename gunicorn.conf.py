"""gunicorn settings: ``gunicorn wsgi:app`` reads this file from the working directory.

The worker model was measured (bench/pledge.py, README "Performance"): on this
I/O-light, CPU-bound app, synchronous workers, 2 x cores + 1 of them, served the pledge
POST better per bare-baseline than 2 processes x 8 threads (the GIL makes threads of one
process take turns). Values can be overridden with GUNICORN_* variables below or
gunicorn's own command-line options.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

from crowdfund.logs import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# A request that takes longer than this is killed and its worker restarted (a settlement
# never runs inside a request: operators' long actions go to the jobs).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Behind a load balancer that keeps connections open (sync workers ignore keep-alive).
keepalive = 5
# Launch-day bursts queue here rather than being refused.
backlog = 2048
# Workers are replaced after about this many requests (bounded memory growth in a long
# run). Rarely and each at its own time: at launch-day rates (1,200 requests/s) the old
# 5,000 replaced a worker every few seconds, all within the same few hundred requests,
# each starting with cold caches (memo.py's shared values; the pages too when no Redis
# is configured), which made the campaign page's p99 1.3-3.2 s. A jitter of 10-20% of it
# spreads the restarts out (README "Performance").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 5))
accesslog = "-"
# The request id the app gives every response (X-Request-ID) ends each access line, so an
# access line and the app's own lines for that request can be matched.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'



class RedactingLogger(Logger):
    """Access lines without the secret part of emailed links (/password/reset/<token>)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger
