# syntax=docker/dockerfile:1
# Stage 1: build the editor (React + Vite) into static/app/.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# Stage 2: Python dependencies in a virtualenv.
FROM python:3.11-slim-bookworm AS python-deps
ENV PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install --upgrade pip && /venv/bin/pip install -r /tmp/requirements.txt

# Stage 3: the runtime image. One image, three roles: web, worker, beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=flowbuilder.settings
RUN useradd --create-home --uid 10001 flowbuilder
WORKDIR /app
COPY --from=python-deps /venv /venv
COPY --chown=flowbuilder . /app
COPY --from=frontend --chown=flowbuilder /src/static/app /app/static/app
RUN DEBUG=true DATABASE_URL=sqlite:////tmp/collect.sqlite3 python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown flowbuilder /app/var
USER flowbuilder
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# The web server borrows database connections from psycopg's pool (DATABASE_POOL); workers keep their own.
CMD ["sh", "-c", "DATABASE_POOL=true exec uvicorn flowbuilder.asgi:application --host 0.0.0.0 --port 8000 --no-access-log --timeout-keep-alive 75"]
