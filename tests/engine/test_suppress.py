"""Suppression by COMMENT ON and by config: the finding stays visible, marked, and leaves the gate."""

from __future__ import annotations

from auditor.engine import run
from auditor.engine.config import Config, from_mapping
from auditor.engine.suppress import parse

from support import snapshot_after

SCHEMA = """
CREATE SCHEMA s;
CREATE TABLE s.parent (id bigint PRIMARY KEY);
CREATE TABLE s.by_constraint (id bigint PRIMARY KEY, parent_id bigint CONSTRAINT by_constraint_fk REFERENCES s.parent);
CREATE TABLE s.by_table (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
CREATE TABLE s.no_reason (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
CREATE TABLE s.other_rule (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
CREATE TABLE s.plain (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
CREATE TABLE s."Legacy Orders" (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
COMMENT ON CONSTRAINT by_constraint_fk ON s.by_constraint
    IS 'Orders link. pg-auditor: ignore IDX001 -- parent rows are never deleted';
COMMENT ON TABLE s.by_table IS E'Audit copy.\\npg-auditor: ignore IDX -- append-only archive, no deletes';
COMMENT ON TABLE s.no_reason IS 'pg-auditor: ignore IDX001';
COMMENT ON TABLE s.other_rule IS 'pg-auditor: ignore CON001 -- unrelated rule';
CREATE SCHEMA quiet;
COMMENT ON SCHEMA quiet IS 'pg-auditor: ignore IDX001, IDX002 -- vendor schema we do not own';
CREATE TABLE quiet.child (id bigint PRIMARY KEY, parent_id bigint REFERENCES s.parent);
"""


def by_table(report):
    return {f.obj.table: f for f in report.findings if f.code == "IDX001"}


def test_comment_tags_suppress_with_their_reason(conn):
    report = run(snapshot_after(conn, SCHEMA), Config())
    found = by_table(report)
    assert found["by_constraint"].suppressed == "comment on constraint: parent rows are never deleted"
    assert found["by_table"].suppressed == "comment on table: append-only archive, no deletes"
    assert found["child"].suppressed == "comment on schema: vendor schema we do not own"
    assert found["no_reason"].suppressed is None  # a tag without a reason is not honoured
    assert found["other_rule"].suppressed is None
    assert found["plain"].suppressed is None
    # Suppressed findings stay in the report but leave the counts and the rule's status.
    active = {f.obj.table for f in report.active if f.code == "IDX001"}
    assert active == {"no_reason", "other_rule", "plain", "Legacy Orders"}
    status = next(s for s in report.statuses if s.code == "IDX001")
    assert status.findings == 4


def test_comment_on_index_is_read(conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE ix (id int); CREATE INDEX ix_id ON ix (id);"
        "COMMENT ON INDEX ix_id IS 'pg-auditor: ignore IDX003 -- kept for the nightly export';",
    )
    idx = next(i for i in snap.indexes if i.name == "ix_id")
    assert parse(idx.comment) == [(["IDX003"], "kept for the nightly export")]


def test_config_ignore_objects_by_glob_on_raw_names(conn):
    cfg = from_mapping(
        {"ignore-objects": [{"rule": "IDX", "object": "s.Legacy *", "reason": "retired in Q3"}]}, "test.toml"
    )
    found = by_table(run(snapshot_after(conn, SCHEMA), cfg))
    assert found["Legacy Orders"].suppressed == "config: retired in Q3"
    assert found["plain"].suppressed is None


def test_parse_variants():
    assert parse("x\npg-auditor: ignore IDX001,CON002 -- two rules\ny") == [(["IDX001", "CON002"], "two rules")]
    assert parse("PG-AUDITOR: IGNORE idx001 --  spaced  ") == [(["IDX001"], "spaced")]
    assert parse("pg-auditor: ignore IDX001 --") == []
    assert parse(None) == [] and parse("nothing here") == []
