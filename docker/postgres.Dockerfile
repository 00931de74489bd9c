# PostgreSQL 17 with pg_partman 5 (from the PGDG repository the official image already uses).
FROM postgres:17
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-17-partman \
 && rm -rf /var/lib/apt/lists/*
