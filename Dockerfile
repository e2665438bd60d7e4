# Production image: configuration comes from the environment (see README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    COURSEGATE_HOST=0.0.0.0 COURSEGATE_PORT=8000 COURSEGATE_DATA_DIR=/var/lib/coursegate
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway.py cli.py settings.py ./
COPY http_api ./http_api
COPY schema ./schema
COPY resolvers ./resolvers
COPY domain ./domain
COPY records ./records
COPY loaders ./loaders
COPY datasources ./datasources
COPY jobs ./jobs
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /var/lib/coursegate --create-home coursegate
# Numeric, so a runtime that refuses root can check it without the image's /etc/passwd.
USER 10001
EXPOSE 8000
# One worker per container: scale with replicas; the process is single-threaded asyncio.
# `coursegate serve` checks the settings before it listens and applies the shutdown ones
# (uvloop and httptools are installed, so uvicorn picks them). Kubernetes: set
# COURSEGATE_DRAIN_SECONDS (e.g. 10) and terminationGracePeriodSeconds above drain + grace.
CMD ["coursegate", "serve"]
