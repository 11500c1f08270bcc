# Production image: the one-port production build of pmo_saas, run as a non-root user.
#   docker build -t pmo_saas .
#   docker run -p 8000:8000 -e PMO_ENVIRONMENT=production -e PMO_SECRET_KEY=... \
#     -e PMO_DATABASE_URL=postgresql://... -e PMO_REDIS_URL=redis://... \
#     -e PMO_PUBLIC_URL=https://pmo.example.com pmo_saas
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    NPM_CONFIG_REGISTRY=https://registry.npmjs.org \
    PORT=8000

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm curl unzip \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 pmo

WORKDIR /app
COPY --chown=pmo:pmo tools/package.json tools/package-lock.json tools/
RUN npm ci --prefix tools --no-audit --no-fund --loglevel=error

COPY --chown=pmo:pmo . .
RUN pip install --no-cache-dir . && chown -R pmo:pmo /app
USER pmo
ENV PATH="/app/tools/node_modules/.bin:${PATH}"

# Build the frontend now (bun fetches its packages here, never at run time).
RUN PMO_SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(48))")" \
    reflex export --frontend-only --no-zip --env prod

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/ping" || exit 1

CMD ["sh", "-c", "python -m pmo_saas.manage migrate && exec reflex run --env prod --single-port --frontend-port ${PORT} --backend-port ${PORT} --backend-host 0.0.0.0"]
