# syntax=docker/dockerfile:1
# One image, three commands:
#   docker run IMAGE serve --host 0.0.0.0   the web app (the default)
#   docker run IMAGE worker                 sends what the outbox holds
#   docker run IMAGE migrate                applies database migrations (run before a rollout)
# Configure it with the environment (README, "Settings"). ENVIRONMENT=production is set here,
# so the container refuses to start without DATABASE_URL, REDIS_URL, SMTP_URL, SECRET_KEY and
# DATA_KEYS (pass the last two as secrets, never baked into the image):
# it never starts embedded servers, and the `embedded` extra is not installed.

# Build stage: install the package and its pinned dependencies into a virtual environment.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY campaign_engine ./campaign_engine
COPY workers ./workers
RUN /venv/bin/pip install .

# Runtime stage: the virtual environment and the non-Python files, run by an unprivileged user.
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /venv /venv
WORKDIR /app
# Templates, translations and static files live beside the package, not inside it.
COPY templates ./templates
COPY locales ./locales
COPY static ./static
ENV PATH=/venv/bin:$PATH \
    CAMPAIGN_ENGINE_HOME=/app \
    ENVIRONMENT=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER app
EXPOSE 8000
# Probes: GET /healthz (alive, touches nothing) and GET /readyz (database, Redis, migrations).
ENTRYPOINT ["campaign-engine"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
