# The API image used by docker-compose.yml. CPU torch by default through the pinned version; to use
# the smaller CPU-only torch wheels, build with --build-arg PIP_EXTRA_INDEX_URL=<PyTorch CPU wheel index>.
FROM python:3.11-slim

ARG PIP_EXTRA_INDEX_URL=
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 HF_HOME=/models

WORKDIR /srv/hybrid-search
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY sql ./sql
# A regular install: the wheel carries sql/ and the migrations (alembic.ini and the folders stay for
# admins who run `alembic` in the container).
RUN pip install torch==2.13.0 && pip install .

EXPOSE 8000
# `serve` applies the migrations (alembic upgrade head) before it starts answering.
CMD ["hybrid-search", "serve", "--host", "0.0.0.0", "--port", "8000"]
