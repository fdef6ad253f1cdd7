"""The Celery entry point: ``celery -A crowdfund.worker:celery worker`` (and ``beat``).

It builds the Flask app from the environment (the same settings as the web servers; it
must name a ``CELERY_BROKER_URL``) and hands Celery to the tasks in ``crowdfund/tasks.py``.
"""

from __future__ import annotations

from crowdfund import create_app
from crowdfund.config import ConfigError
from crowdfund.tasks import celery

flask_app = create_app()
if not flask_app.config.get("CELERY_BROKER_URL"):
    raise ConfigError("CELERY_BROKER_URL is not set: Celery workers need a broker "
                      "(without one, 'flask jobs run --watch' runs everything).")

__all__ = ["celery", "flask_app"]
