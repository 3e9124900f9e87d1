# syntax=docker/dockerfile:1
# NOMAD web: one image for every process of a deployment (web, Celery worker and beat,
# Kafka relay and consumer, migrations); compose.yaml runs it with different commands.
#
#   docker build -t nomad-web .
#
# Three stages: node fills static/vendor/ from npm (as `make vendor` does), build installs
# the pinned Python requirements (compilers there, never in the runtime), compiles the
# translations and collects the static files; runtime is slim Debian with only the
# libraries WeasyPrint opens at run time, as a user without privileges.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:20.19.2-bookworm-slim

# --- Front-end files from npm (never committed): static/vendor/ ---------------------------
FROM ${NODE_IMAGE} AS vendor
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json Makefile ./
COPY templates/documents/ templates/documents/
# The Makefile's own rule, so the image ships exactly the files `make run` copies; the
# development-only packages (Lighthouse) are left out.
RUN make vendor NPM_CI_FLAGS=--omit=dev

# --- Python packages, translations, static files ------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers for any requirement without a wheel for this platform; gettext for msgfmt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip wheel --wheel-dir /wheels -r requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements.txt
COPY . .
COPY --from=vendor /src/static/vendor/ static/vendor/
# Neither command opens a database, Redis or WeasyPrint's libraries; production settings
# only need their required values to load (placeholders, never kept in the image).
RUN NOMAD_ENV=production \
    SECRET_KEY=image-build-only-not-a-secret \
    REDIS_URL=redis://image-build.invalid:6379/0 \
    /opt/venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0 \
    && NOMAD_ENV=production \
    SECRET_KEY=image-build-only-not-a-secret \
    REDIS_URL=redis://image-build.invalid:6379/0 \
    /opt/venv/bin/python manage.py collectstatic --noinput -v0

# --- Runtime --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# WeasyPrint's libraries (Pango and its font stack, HarfBuzz for font subsetting) and the
# fonts of the PDFs; psycopg, Pillow, cryptography and librdkafka come inside their wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        libfontconfig1 libglib2.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 nomad \
    && useradd --system --uid 10001 --gid nomad --home-dir /app --shell /usr/sbin/nologin nomad \
    && mkdir -p /srv/nomad/media /srv/nomad/documents /srv/nomad/seal /srv/nomad/beat \
    && chown -R nomad:nomad /srv/nomad
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=nomad_web.settings \
    NOMAD_ENV=production \
    MEDIA_ROOT=/srv/nomad/media \
    DOCUMENTS_ROOT=/srv/nomad/documents \
    NOMAD_SEAL_DIR=/srv/nomad/seal
# The code stays owned by root: the process can write only its data directories.
USER nomad:nomad
EXPOSE 8000
# Liveness only (the process answers); readiness, with the database and Redis, is the
# reverse proxy's check of /healthz/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "/healthz/live"]
CMD ["gunicorn", "nomad_web.wsgi", "--config", "/app/deploy/gunicorn_config.py"]
