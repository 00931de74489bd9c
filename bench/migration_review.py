"""The check-migration demonstration at full size: an event table of 2M rows, a four-statement migration,
the review printed per statement, and a check that the live database did not change.

    PYTHONPATH=$PWD python bench/migration_review.py            # 2,000,000 rows (about a minute to load)
    PYTHONPATH=$PWD python bench/migration_review.py --rows 50000

It starts a throwaway cluster as the "live" target (tempcluster), loads the schema below, runs
`pg-auditor check-migration` as a user would (a subprocess; the copy is another temporary cluster),
prints what the review says per statement, and compares the target's schema dump, table sizes and
relfilenodes before and after: they must be the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from auditor.pgserver.tempcluster import TempCluster

SCHEMA = """
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    name text NOT NULL
);
CREATE INDEX projects_account_id_idx ON projects (account_id);
CREATE TABLE event_tracker (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    project_id bigint REFERENCES projects (id),
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb
);
CREATE INDEX event_tracker_account_id_idx ON event_tracker (account_id);
CREATE INDEX event_tracker_project_id_idx ON event_tracker (project_id);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_tracker ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON projects USING (account_id = current_setting('app.account_id')::bigint);
CREATE POLICY tenant ON event_tracker USING (account_id = current_setting('app.account_id')::bigint);
CREATE POLICY tenant ON accounts USING (id = current_setting('app.account_id')::bigint);
"""

MIGRATION = """\
-- 0042_event_trace.sql
ALTER TABLE event_tracker ADD COLUMN trace_id uuid DEFAULT gen_random_uuid();

CREATE INDEX event_tracker_trace_id_idx ON event_tracker (trace_id);

ALTER TABLE projects ADD CONSTRAINT projects_account_id_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id);

CREATE TABLE audit_notes (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL,
    note text,
    noted_at timestamp
);
"""


def load(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 1000) g")
        conn.execute(
            "INSERT INTO projects (account_id, name) SELECT 1 + g % 1000, 'p' || g FROM generate_series(1, 20000) g"
        )
        conn.execute(
            "INSERT INTO event_tracker (account_id, project_id, kind, created_at, payload) "
            "SELECT 1 + g %% 1000, 1 + g %% 20000, 'kind' || (g %% 7), now() - g * interval '1 second', "
            "jsonb_build_object('n', g) FROM generate_series(1, %s) g",
            (rows,),
        )
        conn.execute("VACUUM ANALYZE")


def state(dsn: str) -> dict:
    """What must not change: the schema dump, row counts, relfilenodes."""
    out = subprocess.run(["pg_dump", "--schema-only", "-d", dsn], capture_output=True, text=True, check=True).stdout
    dump = "\n".join(ln for ln in out.splitlines() if not ln.startswith(("\\restrict", "\\unrestrict")))  # a random key
    with psycopg.connect(dsn) as conn:
        files = conn.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
        ).fetchall()
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("accounts", "projects", "event_tracker")}  # fmt: skip
    return {"dump": dump, "files": files, "counts": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with TempCluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        dsn = cluster.dsn()
        t0 = time.time()
        load(dsn, args.rows)
        print(f"loaded {args.rows:,} events in {time.time() - t0:.1f} s")
        before = state(dsn)
        mig = Path(tmp) / "0042_event_trace.sql"
        mig.write_text(MIGRATION, encoding="utf-8")
        t0 = time.time()
        run = subprocess.run(
            [sys.executable, "-m", "auditor", "check-migration", str(mig), dsn, "-o", tmp, "-f", "md", "-f", "json",
             "-f", "sarif"],
            capture_output=True, text=True, env={**os.environ}, check=False,
        )  # fmt: skip
        took = time.time() - t0
        print(f"check-migration: exit {run.returncode} in {took:.1f} s")
        print(run.stderr.strip())
        review = json.loads((Path(tmp) / "pg-auditor-migration.json").read_text())
        for s in review["migration"]["statements"]:
            locks = ", ".join(f"{lk['mode']} on {lk['relation']}" for lk in s["table_locks"]) or "none"
            live = "; ".join(f"{k}: {v['rows']:,} rows, {v['bytes'] / 2**20:.0f} MB" for k, v in s["live"].items())
            print(f"\n#{s['index']} line {s['line']}: {s['command']} [{s['status']}, {s['seconds_on_copy']} s on copy]")
            print(f"  locks: {locks}")
            print(f"  rewrite: {s['rewrites'] or 'no'}; scan: {s['scans'] or 'no'}; live: {live or 'n/a'}")
            for a in s["advice"]:
                print(f"  {a['code']} {a['slug']}: {a['message']}")
        diff = review["audit_diff"]
        print("\nintroduced:", [(f["code"], f["object"]) for f in diff["introduced"]])
        print("removed:", [(f["code"], f["object"]) for f in diff["removed"]])
        after = state(dsn)
        same = before == after
        for key in before:
            if before[key] != after[key]:
                print(f"changed: {key}")
                if key == "dump":
                    import difflib

                    lines = difflib.unified_diff(before[key].splitlines(True), after[key].splitlines(True))
                    print("".join(list(lines)[:40]))
                else:
                    print(before[key], after[key])
        print(f"\nlive database unchanged: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
