"""PAR rules on a real PostgreSQL: native partition health, and pg_partman 4.7 (the Debian package installed here).

Everything runs inside the test's transaction and is rolled back; "now" is the transaction's now(), which is
also the snapshot's collection time, so month arithmetic below agrees with what the rules see.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from auditor.catalog.model import Extension, PartmanConfig, Snapshot

from support import hits, objects, snapshot_after

FIXTURES = Path(__file__).parent / "fixtures" / "partman"


def run_fix(conn, fix: str) -> None:
    """Run printed fix SQL inside the test transaction: drop BEGIN/COMMIT and CONCURRENTLY, keep the rest."""
    lines = [line.split("  -- ")[0].rstrip() for line in fix.splitlines()]
    body = "\n".join(line for line in lines if line not in ("BEGIN;", "COMMIT;") and not line.startswith("--"))
    for stmt in (body + "\n").replace("CONCURRENTLY ", "").split(";\n"):
        if stmt.strip():
            conn.execute(stmt)


def by_table(findings) -> dict:
    return {f.obj.table: f for f in findings}


def monthly(table: str, first: int, last: int, suffix: str) -> str:
    """SQL creating monthly partitions of `table` for months first..last relative to now (suffix: to_char format)."""
    schema, name = table.split(".")
    return f"""
DO $$
DECLARE m0 timestamptz := date_trunc('month', now()); s timestamptz;
BEGIN
    FOR i IN {first}..{last} LOOP
        s := m0 + make_interval(months => i);
        EXECUTE format('CREATE TABLE {schema}.%I PARTITION OF {table} FOR VALUES FROM (%L) TO (%L)',
                       '{name}_' || to_char(s, '{suffix}'), s, s + interval '1 month');
    END LOOP;
END $$;
"""


# A hand-partitioned monthly set whose partitions ended three months ago, with a default catching rows;
# the same without a default; an integer set whose sequence ran past its partitions.
ENDED = (
    """
CREATE SCHEMA t;
CREATE TABLE t.events (id bigint NOT NULL, at timestamptz NOT NULL, note text) PARTITION BY RANGE (at);
"""
    + monthly("t.events", -9, -4, "YYYY_MM")
    + """
CREATE TABLE t.events_default PARTITION OF t.events DEFAULT;
INSERT INTO t.events SELECT g, now() - (g % 80) * interval '1 day', 'x' FROM generate_series(1, 2000) g;
ANALYZE t.events_default;
CREATE TABLE t."No Default" (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t."No Default_2020" PARTITION OF t."No Default" FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE t.ids (id bigserial, v int) PARTITION BY RANGE (id);
CREATE TABLE t.ids_0 PARTITION OF t.ids FOR VALUES FROM (0) TO (1000);
SELECT setval('t.ids_id_seq', 5000);
CREATE TABLE t.fine (at timestamptz NOT NULL) PARTITION BY RANGE (at);
"""
    + monthly("t.fine", -1, 4, "YYYYMM")
)


def test_ended_coverage_and_default_catching_rows(conn):
    snap = snapshot_after(conn, ENDED)
    found = by_table(hits(snap, "PAR001"))
    assert set(found) == {"events", "No Default", "ids"}  # t.fine has its runway
    ev = found["events"]
    assert ev.severity == "high" and "new rows land in events_default" in ev.message
    assert ev.evidence["future_partitions"] == 0 and ev.evidence["default_estimated_rows"] > 0
    assert found["No Default"].severity == "critical" and "inserts fail" in found["No Default"].message
    assert found["ids"].evidence["sequence_last_value"] == 5000
    default = by_table(hits(snap, "PAR006"))
    assert set(default) == {"events"} and default["events"].severity == "high"
    assert default["events"].members == ("events_default",)


def test_ended_coverage_fix_moves_rows_out_of_the_default(conn):
    snap = snapshot_after(conn, ENDED)
    fix = by_table(hits(snap, "PAR001"))["events"].fix
    assert "ATTACH PARTITION t.events_" in fix and "DELETE FROM ONLY t.events_default" in fix
    run_fix(conn, fix)
    rows_left = conn.execute("SELECT count(*) FROM ONLY t.events_default").fetchone()[0]
    assert rows_left == 0
    again = snapshot_after(conn, "ANALYZE t.events_default")
    assert "events" not in by_table(hits(again, "PAR001")) | by_table(hits(again, "PAR002"))
    assert "events" not in by_table(hits(again, "PAR006"))


def test_plain_create_fails_while_default_holds_rows(conn):
    """Why the fix goes through the default: CREATE ... PARTITION OF refuses while the default has those rows."""
    import psycopg

    snapshot_after(conn, ENDED)
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "CREATE TABLE t.events_now PARTITION OF t.events FOR VALUES FROM (date_trunc('month', now())) "
            "TO (date_trunc('month', now()) + interval '1 month')"
        )
    conn.execute("ROLLBACK TO SAVEPOINT s")


SHORT = """
CREATE SCHEMA t;
CREATE TABLE t.short (at date NOT NULL) PARTITION BY RANGE (at);
DO $$
DECLARE m0 date := date_trunc('month', now())::date;
BEGIN
    EXECUTE format('CREATE TABLE t.short_p%s PARTITION OF t.short FOR VALUES FROM (%L) TO (%L)',
                   to_char(m0, 'YYYYMMDD'), m0, (m0 + interval '1 month')::date);
    EXECUTE format('CREATE TABLE t.short_p%s PARTITION OF t.short FOR VALUES FROM (%L) TO (%L)',
                   to_char(m0 + interval '1 month', 'YYYYMMDD'), (m0 + interval '1 month')::date,
                   (m0 + interval '2 months')::date);
END $$;
CREATE TABLE t.cliff (at timestamp NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.cliff_now PARTITION OF t.cliff
    FOR VALUES FROM (date_trunc('day', now()::timestamp)) TO (date_trunc('day', now()::timestamp) + interval '1 day');
CREATE TABLE t.open_end (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.open_end_all PARTITION OF t.open_end FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
"""


def test_short_runway(conn):
    snap = snapshot_after(conn, SHORT)
    found = by_table(hits(snap, "PAR002"))
    assert set(found) == {"short", "cliff"}  # MAXVALUE never runs out
    assert found["short"].severity == "medium" and found["short"].evidence["future_partitions"] == 1
    assert found["cliff"].severity == "high" and found["cliff"].evidence["interval"] == "1 day"
    assert not hits(snap, "PAR001")
    for f in found.values():
        run_fix(conn, f.fix)
    again = snapshot_after(conn, "SELECT 1")
    assert not hits(again, "PAR002")
    names = {t.name for t in again.tables if t.parent_oid and again.table_by_oid[t.parent_oid].name == "short"}
    assert len(names) == 5 and all(n.startswith("short_p") for n in names)  # named like the existing ones


def test_premake_threshold_is_configurable(conn):
    snap = snapshot_after(conn, SHORT)
    snap.settings = {"partition_premake": 1}
    assert "short" not in by_table(hits(snap, "PAR002"))


GAPS = """
CREATE SCHEMA t;
CREATE TABLE t.gappy (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.gappy_2024_01 PARTITION OF t.gappy FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.gappy_2024_03 PARTITION OF t.gappy FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE t.gappy_2024_04 PARTITION OF t.gappy FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
CREATE TABLE t.texty (code text NOT NULL) PARTITION BY RANGE (code);
CREATE TABLE t.texty_a PARTITION OF t.texty FOR VALUES FROM ('a') TO ('f');
CREATE TABLE t.texty_m PARTITION OF t.texty FOR VALUES FROM ('m') TO ('t');
CREATE TABLE t.texty_d PARTITION OF t.texty DEFAULT;
CREATE TABLE t.tight (n int NOT NULL) PARTITION BY RANGE (n);
CREATE TABLE t.tight_1 PARTITION OF t.tight FOR VALUES FROM (0) TO (10);
CREATE TABLE t.tight_2 PARTITION OF t.tight FOR VALUES FROM (10) TO (20);
"""


def test_gaps(conn):
    snap = snapshot_after(conn, GAPS)
    found = by_table(hits(snap, "PAR003"))
    assert set(found) == {"gappy", "texty"}
    gappy = found["gappy"]
    assert gappy.severity == "high" and gappy.evidence["gaps"][0]["after"] == "gappy_2024_01"
    assert "FROM ('2024-02-01') TO ('2024-03-01')" in gappy.fix and "t.gappy_2024_02" in gappy.fix
    # An unordered key type is judged by bound text; with a default, rows in the gap are not lost.
    assert found["texty"].severity == "medium"
    run_fix(conn, gappy.fix)
    assert "gappy" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR003"))


HASH = """
CREATE SCHEMA t;
CREATE TABLE t.sessions (user_id bigint NOT NULL) PARTITION BY HASH (user_id);
CREATE TABLE t.sessions_p0 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE t.sessions_p1 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE t.sessions_p3 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
CREATE TABLE t.whole (user_id bigint NOT NULL) PARTITION BY HASH (user_id);
CREATE TABLE t.whole_a PARTITION OF t.whole FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE t.whole_b PARTITION OF t.whole FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE t.whole_c PARTITION OF t.whole FOR VALUES WITH (MODULUS 4, REMAINDER 3);
"""


def test_hash_missing_remainder_and_fix(conn):
    snap = snapshot_after(conn, HASH)
    found = by_table(hits(snap, "PAR004"))
    assert set(found) == {"sessions"}
    assert found["sessions"].evidence["missing_remainders"] == [2] and "25%" in found["sessions"].message
    run_fix(conn, found["sessions"].fix)
    conn.execute("INSERT INTO t.sessions SELECT g FROM generate_series(1, 200) g")  # every remainder has a home
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR004")


LIST = """
CREATE SCHEMA t;
CREATE TABLE t.orgs (id int PRIMARY KEY);
INSERT INTO t.orgs SELECT generate_series(1, 20);
ANALYZE t.orgs;
CREATE TABLE t.docs (org_id int NOT NULL REFERENCES t.orgs, body text) PARTITION BY LIST (org_id);
CREATE TABLE t.docs_1 PARTITION OF t.docs FOR VALUES IN (1);
CREATE TABLE t.docs_2 PARTITION OF t.docs FOR VALUES IN (2, 3);
CREATE TABLE t.docs_ok (org_id int NOT NULL REFERENCES t.orgs, body text) PARTITION BY LIST (org_id);
CREATE TABLE t.docs_ok_1 PARTITION OF t.docs_ok FOR VALUES IN (1);
CREATE TABLE t.docs_ok_rest PARTITION OF t.docs_ok DEFAULT;
CREATE TABLE t.kinds (kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE t.kinds_a PARTITION OF t.kinds FOR VALUES IN ('a');
"""


def test_list_tenants_without_partition(conn):
    snap = snapshot_after(conn, LIST)
    found = by_table(hits(snap, "PAR005"))
    assert set(found) == {"docs"}  # docs_ok has a default; kinds references nothing we can count
    assert found["docs"].evidence["values_with_partition"] == 3
    assert found["docs"].evidence["referenced_rows_estimate"] == 20
    run_fix(conn, found["docs"].fix)
    conn.execute("INSERT INTO t.docs VALUES (17, 'x')")
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR005")


INDEXES = """
CREATE SCHEMA t;
CREATE TABLE t.ev (id bigint NOT NULL, at date NOT NULL, kind text, body text) PARTITION BY RANGE (at);
CREATE TABLE t.ev_1 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.ev_2 PARTITION OF t.ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE t.ev_3 PARTITION OF t.ev FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
-- invalid partitioned index: attached on ev_1 only; ev_2 has a matching but unattached index
CREATE INDEX ev_body_idx ON ONLY t.ev (body);
CREATE INDEX ev_1_body_idx ON t.ev_1 (body);
ALTER INDEX t.ev_body_idx ATTACH PARTITION t.ev_1_body_idx;
CREATE INDEX ev_2_body_hand ON t.ev_2 (body);
-- a hand-made index on two of three partitions
CREATE INDEX ON t.ev_1 (kind, at);
CREATE INDEX ON t.ev_2 (kind, at);
-- per-partition unique indexes: one includes the key, one does not
CREATE UNIQUE INDEX ON t.ev_1 (id);
CREATE UNIQUE INDEX ON t.ev_2 (id);
CREATE UNIQUE INDEX ON t.ev_1 (id, at);
CREATE UNIQUE INDEX ON t.ev_2 (id, at);
CREATE UNIQUE INDEX ON t.ev_3 (id, at);
-- a proper parent index is never reported
CREATE INDEX ON t.ev (at);
"""


def test_invalid_partitioned_index_and_fix(conn):
    snap = snapshot_after(conn, INDEXES)
    found = hits(snap, "PAR007")
    assert [(f.obj.table, f.obj.name) for f in found] == [("ev", "ev_body_idx")]
    f = found[0]
    assert f.evidence["partitions_missing_it"] == ["ev_2", "ev_3"]
    assert "ATTACH PARTITION t.ev_2_body_hand" in f.fix  # reuses the matching index instead of building one
    assert "CREATE INDEX CONCURRENTLY ev_3_body_idx ON t.ev_3 USING btree (body);" in f.fix
    run_fix(conn, f.fix)
    valid = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 't.ev_body_idx'::regclass").fetchone()[0]
    assert valid
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR007")


def test_index_on_some_partitions(conn):
    snap = snapshot_after(conn, INDEXES)
    found = hits(snap, "PAR008")
    shapes = {f.evidence["index"] for f in found}
    assert shapes == {"USING btree (kind, at)"}  # body is PAR007's; (at) is on the parent
    f = found[0]
    assert f.evidence["partitions_without"] == ["ev_3"] and f.severity == "medium"
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR008")


def test_per_partition_unique(conn):
    snap = snapshot_after(conn, INDEXES)
    found = {f.evidence["index"]: f for f in hits(snap, "PAR009")}
    assert set(found) == {"USING btree (id)", "USING btree (id, at)"}
    assert found["USING btree (id)"].evidence["includes_partition_key"] is False
    assert found["USING btree (id)"].fix.startswith("-- (id) lacks the partition key (at)")
    with_key = found["USING btree (id, at)"]
    assert with_key.evidence["includes_partition_key"] is True
    run_fix(conn, with_key.fix)  # a unique index on the parent, the partitions' copies attached
    again = {f.evidence["index"] for f in hits(snapshot_after(conn, "SELECT 1"), "PAR009")}
    assert again == {"USING btree (id)"}


INHERIT = """
CREATE SCHEMA t;
CREATE TABLE t.logs (at date NOT NULL, msg text);
CREATE TABLE t.logs_2024 (CHECK (at >= '2024-01-01' AND at < '2025-01-01')) INHERITS (t.logs);
CREATE TABLE t.logs_2025 (CHECK (at >= '2025-01-01' AND at < '2026-01-01')) INHERITS (t.logs);
INSERT INTO t.logs VALUES ('2023-05-01', 'stuck in the parent');
ANALYZE t.logs;
CREATE TABLE t.plain (id int);
"""


def test_inheritance_partitioning(conn):
    snap = snapshot_after(conn, INHERIT)
    found = by_table(hits(snap, "PAR011"))
    assert set(found) == {"logs"}
    assert found["logs"].evidence["children"] == 2 and found["logs"].severity == "high"
    assert "sit in the parent" in found["logs"].message


def test_detach_pending_on_a_built_snapshot(conn):
    snap = snapshot_after(conn, GAPS)
    snap.tables = [dataclasses.replace(t, detach_pending=t.name == "tight_2") for t in snap.tables]
    found = hits(snap, "PAR010")
    assert [f.obj.table for f in found] == ["tight"]
    assert found[0].fix == "ALTER TABLE t.tight DETACH PARTITION t.tight_2 FINALIZE;"
    # A detach-pending partition is left out of the layout: the set now ends at 10 and has no gap.
    assert not hits(snap, "PAR003") or "tight" not in {f.obj.table for f in hits(snap, "PAR003")}


def _sized(snap: Snapshot, sizes: dict[str, int]) -> Snapshot:
    snap.tables = [dataclasses.replace(t, total_bytes=sizes[t.name]) if t.name in sizes else t for t in snap.tables]
    return snap


UNEVEN = """
CREATE SCHEMA t;
CREATE TABLE t.tenant_data (org int NOT NULL) PARTITION BY LIST (org);
CREATE TABLE t.td_1 PARTITION OF t.tenant_data FOR VALUES IN (1);
CREATE TABLE t.td_2 PARTITION OF t.tenant_data FOR VALUES IN (2);
CREATE TABLE t.td_3 PARTITION OF t.tenant_data FOR VALUES IN (3);
CREATE TABLE t.td_4 PARTITION OF t.tenant_data FOR VALUES IN (4);
CREATE TABLE t.td_default PARTITION OF t.tenant_data DEFAULT;
"""


def test_uneven_sizes_on_a_built_snapshot(conn):
    snap = snapshot_after(conn, UNEVEN)
    even = _sized(snap, {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 9, "td_default": 10**9})
    assert not hits(even, "PAR012")  # the default is left out
    skewed = _sized(snapshot_after(conn, "SELECT 1"), {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 800})
    found = hits(skewed, "PAR012")
    assert [f.obj.table for f in found] == ["tenant_data"] and found[0].severity == "medium"
    assert found[0].evidence["largest"].startswith("td_4")


def test_too_many_partitions(conn):
    snap = snapshot_after(conn, UNEVEN)
    assert not hits(snap, "PAR013")
    snap.settings = {"partition_count_warn": 5}
    found = hits(snap, "PAR013")
    assert [f.obj.table for f in found] == ["tenant_data"]
    assert found[0].evidence["leaf_partitions"] == 5
    assert found[0].fix.startswith("ALTER SYSTEM SET max_locks_per_transaction")


def test_parent_never_analyzed_on_a_built_snapshot(conn):
    snap = snapshot_after(conn, UNEVEN + "INSERT INTO t.tenant_data SELECT g % 6 FROM generate_series(1, 100) g;")
    snap.tables = [dataclasses.replace(t, reltuples=20.0) if t.name.startswith("td_") else t for t in snap.tables]
    parent = snap.table_by_name[("t", "tenant_data")]
    snap.table_stats = [s for s in snap.table_stats if s.table_oid != parent.oid]
    assert [f.obj.table for f in hits(snap, "PAR014")] == ["tenant_data"]
    from auditor.catalog.model import TableStats

    snap2 = dataclasses.replace(snap)
    snap2.table_stats = [
        *snap.table_stats,
        TableStats(parent.oid, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, "2026-01-01T00:00:00+00:00", None, None),
    ]
    assert not hits(snap2, "PAR014")


CANDIDATES = """
CREATE SCHEMA t;
CREATE TABLE t.audit_log (id bigint, occurred_at timestamptz NOT NULL DEFAULT now(), what text);
INSERT INTO t.audit_log (id) SELECT generate_series(1, 3000);
CREATE TABLE t.customers (id bigint, name text);
INSERT INTO t.customers SELECT generate_series(1, 3000);
CREATE TABLE t.small_log (id bigint, at timestamptz);
ANALYZE t.audit_log, t.customers;
"""


def test_partitioning_candidates(conn):
    snap = snapshot_after(conn, CANDIDATES)
    assert not hits(snap, "PAR015")  # defaults: 50 GB / 100 M rows
    snap.settings = {"partition_candidate_rows": 1000}
    found = by_table(hits(snap, "PAR015"))
    assert set(found) == {"audit_log", "customers"}
    assert found["audit_log"].severity == "medium" and found["audit_log"].evidence["time_column"] == "occurred_at"
    assert found["customers"].severity == "low"


PRIVS = """
CREATE SCHEMA t;
CREATE ROLE par_reader;
CREATE TABLE t.secure (org int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.secure_1 PARTITION OF t.secure FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.secure_2 PARTITION OF t.secure FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE t.secure ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON t.secure TO par_reader;
GRANT SELECT ON t.secure_2 TO par_reader;
CREATE TABLE t.open (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.open_1 PARTITION OF t.open FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
GRANT SELECT, DELETE ON t.open_1 TO par_reader;
CREATE TABLE t.quiet (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.quiet_1 PARTITION OF t.quiet FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE t.quiet ENABLE ROW LEVEL SECURITY;
"""


def test_partition_privileges_differ(conn):
    snap = snapshot_after(conn, PRIVS)
    found = by_table(hits(snap, "PAR016"))
    # secure: its partition without RLS is ISO019's to report (once); quiet: nobody may read it directly.
    assert set(found) == {"open"}
    assert found["open"].severity == "medium"
    assert found["open"].evidence["partitions"] == [
        {"partition": "open_1", "extra_grants": {"par_reader": ["DELETE", "SELECT"]}}
    ]
    run_fix(conn, found["open"].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR016")


def test_partition_granted_to_public_is_high(conn):
    snap = snapshot_after(
        conn, PRIVS + "GRANT SELECT ON t.quiet_1 TO PUBLIC; ALTER TABLE t.quiet_1 ENABLE ROW LEVEL SECURITY;"
    )
    found = by_table(hits(snap, "PAR016"))
    assert found["quiet"].severity == "high" and "PUBLIC" in found["quiet"].message


# ---- pg_partman 4.7 (Debian package) ------------------------------------------------------------

PARTMAN = """
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.obs (id bigint NOT NULL, observed_at timestamptz NOT NULL, v int) PARTITION BY RANGE (observed_at);
CREATE INDEX ON public.obs (observed_at);
SELECT partman.create_parent('public.obs', 'observed_at', 'native', 'monthly', p_premake := 3);
"""


@pytest.fixture
def partman(conn, pg_server):
    if not pg_server.partman:
        pytest.skip("pg_partman is not installed on this server")
    return conn


def test_partman_monthly_set_with_nothing_scheduling_maintenance(partman):
    snap = snapshot_after(partman, PARTMAN)
    assert snap.installed("pg_partman").installed_version.startswith("4.")
    found = hits(snap, "PAR021")
    assert len(found) == 1 and found[0].severity == "high"
    f = found[0]
    assert f.obj.kind == "extension" and f.evidence["sets"] == ["public.obs"]
    assert f.evidence["pg_partman_bgw_preloaded"] is False
    assert "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,pg_partman_bgw';" in f.fix
    assert f"ALTER SYSTEM SET pg_partman_bgw.dbname = '{snap.server.database}';" in f.fix
    # A fresh set has its premade partitions: no coverage finding, and the set is not "unregistered".
    assert not hits(snap, "PAR001") and not hits(snap, "PAR002") and not hits(snap, "PAR024")
    # 4.x defaults: ignore_default_data off, no retention.
    assert objects(hits(snap, "PAR028")) == {"public.obs"}
    assert [f.severity for f in hits(snap, "PAR030")] == ["info"]


def test_partman_manual_maintenance_off_is_not_reported(partman):
    snap = snapshot_after(partman, PARTMAN + "UPDATE partman.part_config SET automatic_maintenance = 'off';")
    assert not hits(snap, "PAR021")


def _with_scheduler(snap: Snapshot, bgw_db: str | None, cron: list[dict] | None = None) -> Snapshot:
    settings = dict(snap.server.settings)
    preload = "pg_stat_statements"
    if bgw_db is not None:
        settings["pg_partman_bgw.dbname"] = bgw_db
        settings["pg_partman_bgw.interval"] = "3600"
        preload += ",pg_partman_bgw"
    snap.server = dataclasses.replace(snap.server, settings=settings, shared_preload_libraries=preload)
    if cron is not None:
        from auditor.catalog.model import CronJob

        snap.extensions = [*snap.extensions, Extension("pg_cron", "1.6", "1.6", "pg_catalog")]
        snap.__dict__.pop("extension", None)
        snap.cron_jobs = [CronJob(j) for j in cron]
    return snap


def test_partman_bgw_or_cron_counts_as_scheduled(partman):
    db = snapshot_after(partman, PARTMAN).server.database
    assert not hits(_with_scheduler(snapshot_after(partman, "SELECT 1"), db), "PAR021")
    other = hits(_with_scheduler(snapshot_after(partman, "SELECT 1"), "some_other_db"), "PAR021")
    assert other and "does not name" in other[0].message
    job = {"jobid": 1, "jobname": "pm", "schedule": "@hourly", "command": "CALL partman.run_maintenance_proc()"}
    cron = _with_scheduler(snapshot_after(partman, "SELECT 1"), None, [job | {"database": db, "active": True}])
    assert not hits(cron, "PAR021")
    inactive = _with_scheduler(snapshot_after(partman, "SELECT 1"), None, [job | {"database": db, "active": False}])
    assert hits(inactive, "PAR021") and "cron.schedule(" in hits(inactive, "PAR021")[0].fix


def test_partman_premake_short_and_fix(partman):
    snap = snapshot_after(partman, PARTMAN + "UPDATE partman.part_config SET premake = 6;")
    found = by_table(hits(snap, "PAR002"))
    assert set(found) == {"obs"} and found["obs"].evidence["wanted_future_partitions"] == 6
    assert "SELECT partman.run_maintenance('public.obs');" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR002")


def test_partman_default_catching_rows_and_partition_data_fix(partman):
    snap = snapshot_after(
        partman,
        PARTMAN + "INSERT INTO public.obs VALUES (1, '2001-01-15', 1), (2, '2001-01-20', 2); ANALYZE public.obs;",
    )
    found = by_table(hits(snap, "PAR006"))
    assert set(found) == {"obs"} and found["obs"].evidence["estimated_rows"] == 2
    assert "partman.partition_data_time('public.obs'" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert partman.execute("SELECT count(*) FROM ONLY public.obs_default").fetchone()[0] == 0
    assert not hits(snapshot_after(partman, "ANALYZE public.obs_default"), "PAR006")


def test_partman_orphaned_config(partman):
    ddl = PARTMAN + (
        "CREATE TABLE public.gone (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "SELECT partman.create_parent('public.gone', 'at', 'native', 'daily');"
        "DROP TABLE public.gone CASCADE;"
    )
    snap = snapshot_after(partman, ddl)
    found = hits(snap, "PAR023")
    assert [(f.obj.schema, f.obj.table) for f in found] == [("public", "gone")]
    assert found[0].severity == "critical" and found[0].evidence["sets_after_it"] == ["public.obs"]
    # Rules about sets skip the orphan instead of failing on it.
    assert objects(hits(snap, "PAR021")) == {"pg_partman"}
    run_fix(partman, found[0].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR023")


def test_partman_template_drift(partman):
    snap = snapshot_after(partman, PARTMAN + "CREATE UNIQUE INDEX ON partman.template_public_obs (id);")
    found = hits(snap, "PAR025")
    assert len(found) == 1 and found[0].obj.table == "obs" and found[0].severity == "medium"
    assert len(found[0].evidence["children_without"]) == 8  # 7 monthly children and the default
    run_fix(partman, found[0].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR025")


def test_partman_retention(partman):
    snap = snapshot_after(
        partman,
        PARTMAN + "UPDATE partman.part_config SET retention = '1 day';"
        "CREATE TABLE public.obs_p2020_01 (LIKE public.obs);",
    )
    found = {f.members: f for f in hits(snap, "PAR030")}
    assert set(found) == {("short",), ("leftovers",)}
    assert found[("short",)].severity == "high" and "'3 months'" in found[("short",)].fix
    assert found[("leftovers",)].evidence["tables"] == ["obs_p2020_01"]
    run_fix(partman, found[("short",)].fix)
    assert ("short",) not in {f.members for f in hits(snapshot_after(partman, "SELECT 1"), "PAR030")}


def test_partman_premake_stalled_when_data_stopped(partman):
    ddl = PARTMAN + (
        "INSERT INTO public.obs SELECT g, date_trunc('month', now()) - interval '2 months' + interval '1 day', g "
        "FROM generate_series(1, 50) g; ANALYZE public.obs;"
    )
    found = by_table(hits(snapshot_after(partman, ddl), "PAR029"))
    assert set(found) == {"obs"}
    assert "infinite_time_partitions = true" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR029")


def test_partman_trigger_based_and_quarterly(partman):
    ddl = PARTMAN + (
        "CREATE TABLE public.legacy (id bigint, at timestamptz NOT NULL);"
        "SELECT partman.create_parent('public.legacy', 'at', 'partman', 'daily');"
        "CREATE TABLE public.quarters (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "SELECT partman.create_parent('public.quarters', 'at', 'native', 'quarterly');"
    )
    snap = snapshot_after(partman, ddl)
    assert objects(hits(snap, "PAR026")) == {"public.legacy"}
    assert objects(hits(snap, "PAR011")) == {"public.legacy"}  # inheritance, reported natively too
    quarterly = hits(snap, "PAR027")
    assert objects(quarterly) == {"public.quarters"} and quarterly[0].severity == "medium"  # 4.x: only an upgrade risk
    on5 = snapshot_after(partman, "SELECT 1")
    on5.extensions = [
        dataclasses.replace(e, installed_version="5.1.0") if e.name == "pg_partman" else e for e in on5.extensions
    ]
    on5.__dict__.pop("extension", None)
    assert hits(on5, "PAR027")[0].severity == "critical"


def test_partman_unregistered_range_set(partman):
    snap = snapshot_after(partman, PARTMAN + SHORT.replace("CREATE SCHEMA t;", "CREATE SCHEMA t;"))
    found = by_table(hits(snap, "PAR024"))
    assert set(found) == {"short", "cliff"}  # open_end runs to MAXVALUE: nothing to maintain
    assert "partman.create_parent('t.short', 'at', 'native', 'monthly');" in found["short"].fix


def test_partman_registration_fix_runs_beside_an_existing_default(partman):
    # A set holding only a default partition (rows in it): create_parent makes its own <parent>_default,
    # so the fix moves the old one aside, registers the set, and puts the rows back through the parent.
    snap = snapshot_after(
        partman,
        PARTMAN + "CREATE SCHEMA t; CREATE TABLE t.ev (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE t.ev_default PARTITION OF t.ev DEFAULT; INSERT INTO t.ev VALUES (1, now()), (2, now());",
    )
    (f,) = [f for f in hits(snap, "PAR024") if f.obj.table == "ev"]
    assert "DETACH PARTITION t.ev_default" in f.fix
    partman.execute(f.fix)
    assert partman.execute("SELECT count(*) FROM t.ev").fetchone()[0] == 2
    assert not [f for f in hits(snapshot_after(partman, "SELECT 1"), "PAR024") if f.obj.table == "ev"]


def test_partman_update_pending_on_a_built_snapshot(partman):
    snap = snapshot_after(partman, PARTMAN)
    assert not hits(snap, "PAR020")
    snap.extensions = [
        dataclasses.replace(e, default_version="5.1.0") if e.name == "pg_partman" else e for e in snap.extensions
    ]
    snap.__dict__.pop("extension", None)
    found = hits(snap, "PAR020")
    assert found and found[0].severity == "medium" and "ALTER EXTENSION pg_partman UPDATE;" in found[0].fix


# ---- pg_partman 5.x, from recorded rows ----------------------------------------------------------

OBSERVATIONS = (
    """
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.observations (id bigint, observed_at timestamptz NOT NULL) PARTITION BY RANGE (observed_at);
"""
    + monthly("public.observations", -1, 3, '"p"YYYYMMDD')
    + """
CREATE TABLE public.observations_default PARTITION OF public.observations DEFAULT;
"""
)


def _as_partman(snap: Snapshot, version: str, fixture: str, **changes) -> Snapshot:
    rows = json.loads((FIXTURES / fixture).read_text())
    snap.partman_config = [PartmanConfig("part_config", r | changes) for r in rows]
    snap.extensions = [
        dataclasses.replace(e, installed_version=version, default_version=version) if e.name == "pg_partman" else e
        for e in snap.extensions
    ]
    snap.__dict__.pop("extension", None)
    return snap


def test_partman_5_rows_parse_and_rules(partman):
    snap = _as_partman(snapshot_after(partman, OBSERVATIONS), "5.1.0", "part_config_5.1.0.json")
    found = hits(snap, "PAR021")
    assert found and found[0].evidence["sets"] == ["public.observations"]
    assert "$$CALL partman.run_maintenance_proc()$$" in found[0].fix  # 5.x: the procedure, committing per set
    assert not hits(snap, "PAR028")  # 5.x default: ignore_default_data on
    assert not hits(snap, "PAR030")  # 84 months of retention, nothing left behind
    assert not hits(snap, "PAR002")  # premake 3, three months ahead
    assert not hits(snap, "PAR022")  # nothing scheduled: PAR021 says so, PAR022 stays quiet


def test_partman_5_stale_maintenance(partman):
    base = snapshot_after(partman, OBSERVATIONS)
    db = base.server.database
    never = _with_scheduler(_as_partman(base, "5.1.0", "part_config_5.1.0.json"), db)
    found = hits(never, "PAR022")
    assert [f.obj.table for f in found] == ["observations"] and "never completed" in found[0].message
    assert not hits(never, "PAR021")
    fresh = _with_scheduler(_as_partman(snapshot_after(partman, "SELECT 1"), "5.1.0", "part_config_5.1.0.json"), db)
    fresh.partman_config[0].config["maintenance_last_run"] = fresh.server.collected_at
    assert not hits(fresh, "PAR022")
    old = _with_scheduler(_as_partman(snapshot_after(partman, "SELECT 1"), "5.1.0", "part_config_5.1.0.json"), db)
    old.partman_config[0].config["maintenance_last_run"] = "2020-01-01T00:00:00+00:00"
    assert "days ago" in hits(old, "PAR022")[0].message
    # 4.x rows have no maintenance_last_run column: the rule judges nothing rather than calling them stale.
    four = _with_scheduler(_as_partman(snapshot_after(partman, "SELECT 1"), "4.7.2", "part_config_4.7.2.json"), db)
    assert not hits(four, "PAR022")


def test_partman_4_fixture_rules(partman):
    snap = _as_partman(snapshot_after(partman, OBSERVATIONS), "4.7.2", "part_config_4.7.2.json")
    assert objects(hits(snap, "PAR028")) == {"public.observations"}
    assert "$$SELECT partman.run_maintenance()$$" in hits(snap, "PAR021")[0].fix  # 4.x: the function


def test_no_partman_means_nothing_to_judge(conn):
    snap = snapshot_after(conn, GAPS)
    for code in ("PAR020", "PAR021", "PAR022", "PAR023", "PAR025", "PAR026", "PAR027", "PAR028", "PAR029", "PAR030"):
        assert hits(snap, code) == []


def test_fingerprints_do_not_depend_on_oids_or_values(conn):
    snap = snapshot_after(conn, ENDED)
    first = {f.fingerprint for code in ("PAR001", "PAR006") for f in hits(snap, code)}
    again = snapshot_after(conn, "INSERT INTO t.events SELECT g, now(), 'y' FROM generate_series(1, 10) g")
    assert first == {f.fingerprint for code in ("PAR001", "PAR006") for f in hits(again, code)}


DEFAULT_ONLY = """
CREATE SCHEMA t;
CREATE TABLE t.enriched (id bigint, "timestamp" timestamp(6) NOT NULL) PARTITION BY RANGE ("timestamp");
CREATE TABLE t.enriched_default PARTITION OF t.enriched DEFAULT;
INSERT INTO t.enriched SELECT g, now()::timestamp - (g % 20) * interval '1 hour' FROM generate_series(1, 100) g;
CREATE TABLE t.by_expr (at timestamptz NOT NULL) PARTITION BY RANGE (date_trunc('day', at AT TIME ZONE 'UTC'));
CREATE TABLE t.by_expr_1 PARTITION OF t.by_expr FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.codes (code text NOT NULL) PARTITION BY RANGE (code);
CREATE TABLE t.codes_a PARTITION OF t.codes FOR VALUES FROM ('a') TO ('z');
"""


def test_range_set_with_only_a_default(conn):
    """The Lago shape: a time set whose only partition is the default (pg_partman's config not loaded)."""
    snap = snapshot_after(conn, DEFAULT_ONLY)
    found = by_table(hits(snap, "PAR001"))
    assert set(found) == {"enriched"}  # by_expr cannot be ordered, codes cannot run out
    assert "no range partitions" in found["enriched"].message and found["enriched"].severity == "high"
    run_fix(conn, found["enriched"].fix)
    now_rows = conn.execute(
        "SELECT count(*) FROM ONLY t.enriched_default WHERE \"timestamp\" >= date_trunc('month', now()::timestamp)"
    )
    assert now_rows.fetchone()[0] == 0
    assert "enriched" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))


def test_unorderable_keys_are_not_evaluated(conn):
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    only_expr = "\n".join(line for line in DEFAULT_ONLY.splitlines() if "enriched" not in line)
    snap = snapshot_after(conn, only_expr)
    status, findings = run_rule(load_all()["PAR001"], snap, Config())
    assert status.status == "not_evaluated" and "t.by_expr" in status.reason and not findings


def test_tables_beside_an_extension_are_still_audited(conn):
    """An extension installed in an application schema (pgcrypto in public, as Lago does) must not hide it."""
    snap = snapshot_after(conn, ENDED + "CREATE EXTENSION pg_stat_statements SCHEMA t;")
    assert "t" not in snap.extension_schemas
    assert "events" in by_table(hits(snap, "PAR001"))


def test_context_and_score_show_their_working(partman):
    from auditor.engine import run
    from auditor.engine.config import Config

    snap = snapshot_after(partman, ENDED + PARTMAN)
    report = run(snap, Config(select=["PAR"]))
    ctx = report.extras["partitions"]
    rows = {r["set"]: r for r in ctx["sets"]}
    assert set(rows) >= {"t.events", "t.ids", "t.fine", "public.obs"}
    assert rows["t.events"]["runway_days"] < -60 and rows["t.events"]["default_rows"] > 0
    assert rows["t.fine"]["future_partitions"] == 4
    assert rows["public.obs"]["pg_partman"]["premake"] == 3
    assert ctx["pg_partman"]["maintenance_run_by"] == "nothing" and ctx["pg_partman"]["version"] == "4.7.2"
    score = report.scores["partitions"]
    assert score.model == "per-set deductions" and score.caps  # t."No Default" is critical: capped at 50
    by_set = {w["set"]: w for w in score.working}
    # t.fine is healthy; pg_partman being installed only adds the low "not registered" note.
    assert [d["code"] for d in by_set["t.fine"]["deductions"]] == ["PAR024"] and by_set["t.fine"]["score"] == 97
    assert {"PAR001", "PAR006"} <= {d["code"] for d in by_set["t.events"]["deductions"]}
    # The unscheduled maintenance counts against the set it leaves unmaintained.
    assert "PAR021" in {d["code"] for d in by_set["public.obs"]["deductions"]}
    assert score.working[0]["score"] == min(w["score"] for w in score.working)


def test_score_of_a_clean_database(conn):
    from auditor.engine import run
    from auditor.engine.config import Config

    report = run(snapshot_after(conn, "CREATE SCHEMA t; CREATE TABLE t.x (id int)"), Config(select=["PAR"]))
    assert report.scores["partitions"].score == 100


def test_partman_epoch_set_is_judged_against_now(partman):
    ddl = PARTMAN + (
        "CREATE TABLE public.ep (id bigint, ts bigint NOT NULL) PARTITION BY RANGE (ts);"
        "SELECT partman.create_parent('public.ep', 'ts', 'native', 'daily', p_epoch := 'seconds', p_premake := 2);"
        "UPDATE partman.part_config SET premake = 5 WHERE parent_table = 'public.ep';"
    )
    found = by_table(hits(snapshot_after(partman, ddl), "PAR002"))
    assert set(found) == {"ep"} and found["ep"].evidence["future_partitions"] == 2
    assert "epoch_now" in found["ep"].evidence


def test_move_fix_keeps_generated_columns(conn):
    ddl = ENDED.replace(
        "note text) PARTITION BY RANGE (at);",
        "note text, day date GENERATED ALWAYS AS ((at AT TIME ZONE 'UTC')::date) STORED) PARTITION BY RANGE (at);",
    )
    fix = by_table(hits(snapshot_after(conn, ddl), "PAR001"))["events"].fix
    assert "(id, at, note) SELECT id, at, note" in fix  # the generated column is recomputed, not copied
    run_fix(conn, fix)
    assert conn.execute("SELECT count(*) FROM t.events WHERE day IS NULL").fetchone()[0] == 0


def test_subpartition_findings_count_against_their_root(conn):
    from auditor.engine import run
    from auditor.engine.config import Config

    ddl = """
CREATE SCHEMA t;
CREATE TABLE t.root (org int NOT NULL, at date NOT NULL) PARTITION BY LIST (org);
CREATE TABLE t.root_1 PARTITION OF t.root FOR VALUES IN (1) PARTITION BY HASH (at);
CREATE TABLE t.root_1_a PARTITION OF t.root_1 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
"""
    report = run(snapshot_after(conn, ddl), Config(select=["PAR"]))
    assert [f.obj.table for f in report.findings if f.code == "PAR004"] == ["root_1"]
    by_set = {w["set"]: w for w in report.scores["partitions"].working}
    assert "t.root" in by_set and [d["code"] for d in by_set["t.root"]["deductions"]] == ["PAR004"]


def test_partman_sub_partitioned_set(partman):
    ddl = (
        PARTMAN + "SELECT partman.create_sub_parent('public.obs', 'id', 'native', '1000', p_premake := 2,"
        " p_native_check := 'yes');"
    )
    snap = snapshot_after(partman, ddl)
    subs = [c for c in snap.partman_config if c.source == "part_config_sub"]
    assert subs and subs[0].config["sub_parent"] == "public.obs"
    # Children registered as their own sets exist; nothing is orphaned, unregistered or mis-scored.
    assert not hits(snap, "PAR023") and not hits(snap, "PAR024")
    # One line for the set, not one per child set pg_partman registered from part_config_sub.
    assert objects(hits(snap, "PAR028")) == {"public.obs"}
    assert hits(snap, "PAR021")[0].evidence["sets"] == ["public.obs"]
    from auditor.analysis.partman import sub_sets

    assert [s.parent_table for s in sub_sets(snap)] == ["public.obs"] and sub_sets(snap)[0].is_id_based


def test_default_partition_fix_runs_as_printed(conn):
    snap = snapshot_after(conn, ENDED)
    fix = by_table(hits(snap, "PAR006"))["events"].fix
    assert fix.startswith("-- which ranges the rows belong to (scans the default):")
    run_fix(conn, fix)
    assert conn.execute("SELECT count(*) FROM ONLY t.events_default").fetchone()[0] == 0
    assert "events" not in by_table(hits(snapshot_after(conn, "ANALYZE t.events_default"), "PAR006"))


# ---- a set whose only partition is the default: one finding, weaker while the set is empty --------------

EMPTY_DEFAULT_ONLY = """
CREATE SCHEMA t;
CREATE TABLE t.enriched (id bigint, "timestamp" timestamp(6) NOT NULL) PARTITION BY RANGE ("timestamp");
CREATE TABLE t.enriched_default PARTITION OF t.enriched DEFAULT;
ANALYZE t.enriched_default;
"""


def _default_only_findings(snap) -> list:
    return [f for code in ("PAR001", "PAR024") for f in hits(snap, code) if f.obj.table == "enriched"]


def test_empty_default_only_set_without_partman_is_one_medium_par001(conn):
    snap = snapshot_after(conn, EMPTY_DEFAULT_ONLY)
    (f,) = _default_only_findings(snap)
    assert f.code == "PAR001" and f.severity == "medium"
    assert "holds no rows yet" in f.message and f.evidence["set_empty"] is True
    run_fix(conn, f.fix)  # the printed fix runs on the empty set too
    assert "enriched" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))


def test_default_only_set_with_rows_stays_high(conn):
    snap = snapshot_after(conn, EMPTY_DEFAULT_ONLY + "INSERT INTO t.enriched VALUES (1, now()); ANALYZE t.enriched;")
    (f,) = _default_only_findings(snap)
    assert f.code == "PAR001" and f.severity == "high" and "no rows" not in f.message
    assert f.evidence["set_empty"] is False


def test_default_only_set_never_analyzed_is_not_called_empty(conn):
    # No ANALYZE yet: reltuples is -1 and relpages 0 whether or not rows were written, so nothing is known.
    ddl = EMPTY_DEFAULT_ONLY.replace("ANALYZE t.enriched_default;", "")
    (g,) = _default_only_findings(snapshot_after(conn, ddl))
    assert g.code == "PAR001" and g.severity == "high" and g.evidence["set_empty"] is False
    (h,) = _default_only_findings(snapshot_after(conn, "ANALYZE t.enriched_default"))
    assert h.severity == "medium"


def test_default_only_set_with_partman_is_one_par024(partman):
    snap = snapshot_after(partman, PARTMAN + EMPTY_DEFAULT_ONLY)
    (f,) = _default_only_findings(snap)
    assert f.code == "PAR024" and f.severity == "medium"
    assert "only partition is the default enriched_default" in f.message and "holds no rows yet" in f.message
    run_fix(partman, f.fix)
    after = snapshot_after(partman, "SELECT 1")
    assert not _default_only_findings(after)
    full = snapshot_after(partman, "INSERT INTO public.obs VALUES (1, now(), 1)")  # unrelated: still quiet
    assert not _default_only_findings(full)


def test_default_only_set_with_partman_and_rows_is_one_high_par024(partman):
    ddl = PARTMAN + EMPTY_DEFAULT_ONLY + "INSERT INTO t.enriched VALUES (1, now()); ANALYZE t.enriched;"
    (f,) = _default_only_findings(snapshot_after(partman, ddl))
    assert f.code == "PAR024" and f.severity == "high" and "no rows" not in f.message


def test_covered_range_sets_get_neither_rule(partman):
    # obs is registered with three months ahead; t.fine is hand-made with four months ahead.
    snap = snapshot_after(partman, PARTMAN + "CREATE SCHEMA t;" + monthly_fine())
    assert not [f for f in hits(snap, "PAR001") if f.obj.table in ("obs", "fine")]
    assert not [f for f in hits(snap, "PAR024") if f.obj.table == "obs"]


def test_covered_range_set_without_partman_gets_neither_rule(conn):
    snap = snapshot_after(conn, "CREATE SCHEMA t;" + monthly_fine())
    assert not hits(snap, "PAR001") and not hits(snap, "PAR024")


def monthly_fine() -> str:
    return "CREATE TABLE t.fine (at timestamptz NOT NULL) PARTITION BY RANGE (at);" + monthly("t.fine", -1, 4, "YYYYMM")


def test_ended_set_with_an_empty_default_is_medium_and_without_a_default_stays_critical(conn):
    ddl = (
        """
CREATE SCHEMA t;
CREATE TABLE t.quiet (at timestamptz NOT NULL) PARTITION BY RANGE (at);
"""
        + monthly("t.quiet", -9, -4, "YYYY_MM")
        + """
CREATE TABLE t.quiet_default PARTITION OF t.quiet DEFAULT;
CREATE TABLE t.nodef (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.nodef_2020 PARTITION OF t.nodef FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
ANALYZE t.quiet, t.nodef;
"""
    )
    found = by_table(hits(snapshot_after(conn, ddl), "PAR001"))
    assert found["quiet"].severity == "medium" and "no rows" in found["quiet"].message
    assert found["nodef"].severity == "critical" and "inserts fail" in found["nodef"].message
    run_fix(conn, found["quiet"].fix)
    assert "quiet" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))
