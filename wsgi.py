"""WSGI entry point: ``gunicorn wsgi:app`` (or ``flask --app wsgi run``)."""

from crowdfund import create_app

app = create_app()
