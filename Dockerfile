# pledgedb: migrate, seed, then serve the API on port 8000 as a non-root user.
# BASE can point at a locally built image where no registry is reachable.
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

FROM ${BASE}
RUN useradd --system --uid 10001 --no-create-home --home-dir /app pledgedb
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY data ./data
RUN mkdir -p /app/var && chown pledgedb:pledgedb /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PLEDGEDB_DATA_DIR=/app/data \
    PLEDGEDB_MIGRATIONS_DIR=/app/migrations \
    DATABASE_URL=sqlite:////app/var/pledgedb.sqlite3 \
    WEB_WORKERS=2
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# DATABASE_URL chooses the database; the seed is idempotent, so restarts are safe.
CMD ["sh", "-c", "pledgedb migrate && pledgedb seed && exec pledgedb serve --host 0.0.0.0 --port 8000 --workers \"$WEB_WORKERS\""]
