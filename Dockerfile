# syntax=docker/dockerfile:1
# One image for every Conectafy process; its entry point is the `conectafy` CLI:
#   docker run IMAGE operator --all-namespaces | api | migrate | waha-sim
# Base images are pinned; bump them deliberately.

# 1. The web dashboard, built into dist/ (dependencies first, so code changes reuse their layer).
FROM node:22.12.0-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# 2. The Python wheel (conectafy, conectafy.operator, conectafy.api) and its dependencies.
FROM python:3.11.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY conectafy/ conectafy/
COPY operator/ operator/
COPY api/ api/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# 3. The runtime: the wheels and the built dashboard, run as an unprivileged user.
FROM python:3.11.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONECTAFY_WEB_DIST_DIR=/app/web/dist
RUN groupadd --system --gid 10001 conectafy \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home conectafy
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir /wheels/*.whl
COPY --from=web --chown=10001:10001 /web/dist /app/web/dist
WORKDIR /app
USER 10001:10001
EXPOSE 8000 8080
ENTRYPOINT ["conectafy"]
CMD ["--help"]
