"""Generate a synthetic multi-tenant catalog of a given size, for the benchmark.

The shape follows a real SaaS schema: one `tenants` table per schema, tables that carry a tenant
column and a foreign key to it and to a sibling table, composite (tenant, key) indexes, partial
indexes, RLS policies on most tables, range-partitioned event tables with many monthly partitions,
and (when pg_partman is installed) daily pg_partman sets. A share of foreign keys is left unindexed,
of RLS tables without a policy and of duplicate indexes, so the audit has findings to render.

Only the catalog is built (no rows): the audit reads catalogs, and pg_dump --schema-only too.
DDL goes in big generated batches, one transaction per schema, on two connections, so M
(10,000 tables) takes a few minutes rather than hours.

    python bench/generate.py "host=... dbname=bench_m" --size M
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
import time
from dataclasses import dataclass

import psycopg

TABLES_PER_SCHEMA = 200


@dataclass(frozen=True)
class Size:
    """Counts of relations (pg_class relkind r and p) to build."""

    name: str
    tables: int  # plain + partitioned parents + partitions
    partitions: int  # native partitions made here (pg_partman sets are on top, counted in partman_parts)
    partitions_per_parent: int
    partman_sets: int
    partman_parts: int  # partitions per pg_partman set (daily)

    @property
    def parents(self) -> int:
        return self.partitions // self.partitions_per_parent

    @property
    def plain(self) -> int:
        return self.tables - self.partitions - self.parents - self.partman_sets * (self.partman_parts + 1)


SIZES = {
    "S": Size("S", 1_000, 200, 20, 2, 20),
    "M": Size("M", 10_000, 2_000, 50, 5, 40),
    "L": Size("L", 50_000, 10_000, 50, 10, 60),
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def plain_schema_sql(schema: str, first: int, count: int) -> str:
    """One schema: tenants plus `count` tenant tables chained by foreign keys."""
    s = q(schema)
    out = [
        f"CREATE SCHEMA {s};",
        f"CREATE TABLE {s}.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,"
        " plan text NOT NULL DEFAULT 'free', created_at timestamptz NOT NULL DEFAULT now());",
    ]
    prev = None
    for k in range(first, first + count):
        t = f"t{k:05d}"
        cols = [
            "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            f"tenant_id bigint NOT NULL REFERENCES {s}.tenants (id)",
            f"parent_id bigint REFERENCES {s}.{prev} (id) ON DELETE CASCADE" if prev else "parent_id bigint",
            "name text NOT NULL",
            "status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted'))",
            "amount numeric(12, 2)",
            "payload jsonb",
            "created_at timestamptz NOT NULL DEFAULT now()",
            "updated_at timestamptz",
            "deleted_at timestamptz",
        ]
        out.append(f"CREATE TABLE {s}.{t} ({', '.join(cols)}, UNIQUE (tenant_id, name));")
        if k % 5 in (1, 2):
            out.append(f"CREATE INDEX ON {s}.{t} (parent_id);")
        elif k % 5 in (3, 4):  # tenant-scoped: does not serve the single-column key's lookups
            out.append(f"CREATE INDEX ON {s}.{t} (tenant_id, parent_id);")
        out.append(f"CREATE INDEX ON {s}.{t} (tenant_id, status) WHERE deleted_at IS NULL;")
        out.append(f"CREATE INDEX ON {s}.{t} (created_at);")
        if k % 3 == 0:
            out.append(f"CREATE INDEX ON {s}.{t} USING gin (payload);")
        if k % 2 == 0:
            out.append(f"CREATE INDEX ON {s}.{t} (tenant_id, created_at DESC);")
        if k % 10 == 0:  # a redundant prefix of the unique key
            out.append(f"CREATE INDEX ON {s}.{t} (tenant_id);")
        if k % 10 < 7:
            out.append(f"ALTER TABLE {s}.{t} ENABLE ROW LEVEL SECURITY;")
            if k % 10 < 6:
                out.append(
                    f"CREATE POLICY tenant_isolation ON {s}.{t} "
                    "USING (tenant_id = current_setting('app.tenant_id')::bigint);"
                )
        if k % 50 == 0:
            out.append(f"COMMENT ON TABLE {s}.{t} IS 'table {k} of the synthetic catalog';")
        prev = t
    return "\n".join(out)


def partitioned_sql(schema: str, first: int, parents: int, per_parent: int) -> str:
    """Range-partitioned event tables, monthly partitions, tenant-leading indexes on the parent."""
    s = q(schema)
    out = [f"CREATE SCHEMA IF NOT EXISTS {s};"]
    for p in range(first, first + parents):
        t = f"events_{p:04d}"
        out.append(
            f"CREATE TABLE {s}.{t} (id bigint NOT NULL, tenant_id bigint NOT NULL, kind text NOT NULL,"
            " payload jsonb, created_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id, created_at))"
            " PARTITION BY RANGE (created_at);"
        )
        out.append(f"CREATE INDEX ON {s}.{t} (tenant_id, created_at);")
        out.append(f"CREATE INDEX ON {s}.{t} (kind) WHERE kind <> 'noise';")
        out.append(f"ALTER TABLE {s}.{t} ENABLE ROW LEVEL SECURITY;")
        out.append(
            f"CREATE POLICY tenant_isolation ON {s}.{t} USING (tenant_id = current_setting('app.tenant_id')::bigint);"
        )
        for m in range(per_parent):
            y, mo = 2020 + m // 12, m % 12 + 1
            ny, nmo = (y, mo + 1) if mo < 12 else (y + 1, 1)
            out.append(
                f"CREATE TABLE {s}.{t}_p{y}{mo:02d} PARTITION OF {s}.{t}"
                f" FOR VALUES FROM ('{y}-{mo:02d}-01') TO ('{ny}-{nmo:02d}-01');"
            )
        if p % 2 == 0:
            out.append(f"CREATE TABLE {s}.{t}_default PARTITION OF {s}.{t} DEFAULT;")
    return "\n".join(out)


def partman_sql(partman: str, schema: str, index: int, parts: int) -> str:
    """A pg_partman daily set of about `parts` partitions (past ones via p_start_partition)."""
    s, t = q(schema), f"metrics_{index:03d}"
    past = parts - 5
    return "\n".join(
        [
            f"CREATE SCHEMA IF NOT EXISTS {s};",
            f"CREATE TABLE {s}.{t} (tenant_id bigint NOT NULL, id bigint NOT NULL, value float8,"
            " recorded_at timestamptz NOT NULL) PARTITION BY RANGE (recorded_at);",
            f"CREATE INDEX ON {s}.{t} (tenant_id, recorded_at);",
            f"SELECT {q(partman)}.create_parent('{schema}.{t}', 'recorded_at', 'native', 'daily',"
            f" p_premake := 4, p_start_partition := (now() - interval '{past} days')::date::text);",
        ]
    )


def batches(size: Size, partman: str | None) -> list[tuple[str, str]]:
    """(label, SQL) pairs, each run as one transaction."""
    out: list[tuple[str, str]] = []
    plain = size.plain if partman else size.plain + size.partman_sets * (size.partman_parts + 1)
    schemas = -(-plain // (TABLES_PER_SCHEMA + 1))
    made = 0
    for n in range(schemas):
        count = min(TABLES_PER_SCHEMA, plain - made - 1)
        if count <= 0:
            break
        out.append((f"app_{n:03d}", plain_schema_sql(f"app_{n:03d}", made, count)))
        made += count + 1
    per_batch = max(1, 400 // size.partitions_per_parent)
    for first in range(0, size.parents, per_batch):
        n = min(per_batch, size.parents - first)
        out.append((f"events {first}", partitioned_sql("events", first, n, size.partitions_per_parent)))
    if partman:
        for i in range(size.partman_sets):
            out.append((f"partman {i}", partman_sql(partman, "metrics", i, size.partman_parts)))
    return out


def run_batch(dsn: str, label: str, text: str) -> tuple[str, float]:
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        with conn.transaction():
            conn.execute(text)  # no parameters: simple protocol, many statements in one round trip
    return label, time.perf_counter() - started


def generate(dsn: str, size: Size, workers: int = 2, verbose: bool = True) -> dict[str, float | int]:
    """Build the catalog in the (empty) database at dsn; returns timing and counts."""
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'").fetchone()
        partman = None
        if available:
            conn.execute(
                "CREATE SCHEMA IF NOT EXISTS partman; CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman"
            )
            partman = conn.execute(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                " WHERE e.extname = 'pg_partman'"
            ).fetchone()[0]
    work = batches(size, partman)
    plain_batches = [b for b in work if b[0].startswith("app_")]
    later = [b for b in work if not b[0].startswith("app_")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for done, (label, took) in enumerate(pool.map(lambda b: run_batch(dsn, *b), plain_batches), 1):
            if verbose:
                print(f"  {label}: {took:.1f}s ({done}/{len(plain_batches)})", file=sys.stderr)
    # partitioned sets share schemas: run them one after another
    for label, text in later:
        label, took = run_batch(dsn, label, text)
        if verbose:
            print(f"  {label}: {took:.1f}s", file=sys.stderr)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")  # reltuples 0 instead of -1, as on a database autovacuum has seen
        counts = conn.execute(
            "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')),"
            " count(*) FILTER (WHERE c.relispartition AND c.relkind IN ('r', 'p')),"
            " count(*) FILTER (WHERE c.relkind IN ('i', 'I'))"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
        ).fetchone()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "tables": counts[0],
        "partitions": counts[1],
        "indexes": counts[2],
        "partman_sets": size.partman_sets if partman else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dsn", help="an empty database to build the catalog in (superuser)")
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--workers", type=int, default=2, help="parallel connections for the DDL")
    args = parser.parse_args()
    result = generate(args.dsn, SIZES[args.size], args.workers)
    print(result)


if __name__ == "__main__":
    main()
