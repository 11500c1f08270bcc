# Production image: the one-port production build of pmo_saas, run as a non-root user.
#   docker build -t pmo_saas .                      (FROM python:3.11-slim)
#   podman build --format docker --build-arg BASE=localhost/bookworm-min -t pmo_saas .
#                                                   (a Debian base built by deploy/build-base.sh)
# The image does not migrate: run `python -m pmo_saas.manage migrate` once per deploy (the
# compose file's `migrate` service), then start the app containers. See docs/operations.md.
#   docker run -p 8000:8000 -e PMO_ENVIRONMENT=production -e PMO_SECRET_KEY=... \
#     -e PMO_DATABASE_URL=postgresql://... -e PMO_REDIS_URL=redis://... \
#     -e PMO_PUBLIC_URL=https://pmo.example.com pmo_saas
ARG BASE=python:3.11-slim
FROM ${BASE}

# Only for builds behind a TLS-inspecting proxy: a CA bundle mounted into the build
# (build args are environment variables in RUN). Users' builds pass neither.
ARG PIP_CERT
ARG NODE_EXTRA_CA_CERTS

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH="/app/tools/node_modules/.bin:/opt/venv/bin:${PATH}" \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    NPM_CONFIG_REGISTRY=https://registry.npmjs.org \
    PMO_LOG_FORMAT=json \
    PORT=8000

# Node.js and npm only install bun (tools/package.json), which builds the frontend.
# A base without a usable python3 (a bare Debian) gets Debian's; python:3.11-slim has its own.
RUN set -eux; \
    pkgs="nodejs npm ca-certificates"; \
    python3 -c 'import ensurepip, venv' 2>/dev/null || pkgs="$pkgs python3 python3-venv"; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs; \
    rm -rf /var/lib/apt/lists/*; \
    python3 -m venv /opt/venv; \
    useradd --create-home --uid 10001 pmo; \
    mkdir /app; chown pmo:pmo /app

WORKDIR /app
COPY --chown=pmo:pmo tools/package.json tools/package-lock.json tools/
RUN npm ci --prefix tools --no-audit --no-fund --loglevel=error

# Dependencies first (a layer that changes only with pyproject.toml), then the code.
COPY pyproject.toml README.md ./
RUN mkdir pmo_saas && touch pmo_saas/__init__.py \
 && pip install --upgrade pip \
 && pip install -e . \
 && rm -rf pmo_saas pmo_saas.egg-info
COPY --chown=pmo:pmo . .
# Editable, so the code (and alembic.ini beside it) stays in /app, the project root. No
# `chown -R /app`: it would copy tools/node_modules into one more layer (about 300 MB); the
# user writes only the folders Reflex builds in (/app is its own).
RUN pip install --no-deps -e .
USER pmo

# Build the frontend now (bun fetches its packages here, never at run time).
RUN PMO_SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(48))")" \
    reflex export --frontend-only --no-zip --env prod \
 && rm -rf /home/pmo/.cache /home/pmo/.bun/install/cache .secret_key

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["sh", "-c", "exec reflex run --env prod --single-port --frontend-port ${PORT} --backend-port ${PORT} --backend-host 0.0.0.0"]
