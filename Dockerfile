# One image for every process type: web, worker, beat (compose.yaml picks the command).
# The source tree is what is deployed: templates/, static/ and migrations/ stay at the top.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CROWDFUND_ENV=production FLASK_APP=wsgi INSTANCE_PATH=/srv/instance
WORKDIR /srv/crowdfund

# Dependencies first (pinned in pyproject.toml), so that a code change reuses this layer.
# No extras: the local Stripe sandbox and the test tools never ship in the image.
COPY pyproject.toml ./
RUN mkdir crowdfund && touch crowdfund/__init__.py \
    && pip install --no-cache-dir . && pip uninstall -y crowdfund && rm -rf crowdfund build

COPY crowdfund ./crowdfund
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY wsgi.py gunicorn.conf.py ./
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --system --home /srv --uid 10001 crowdfund \
    && mkdir -p /srv/instance && chown crowdfund /srv/instance
USER crowdfund

EXPOSE 8000
ENV GUNICORN_BIND=0.0.0.0:8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
