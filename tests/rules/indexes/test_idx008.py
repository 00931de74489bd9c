"""IDX008 btree-on-container-column: arrays and jsonb under btree, and what is left alone."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after

CONTAINERS = """
CREATE SCHEMA c;
CREATE TABLE c.docs (id bigint PRIMARY KEY, tags text[], doc jsonb, v tsvector, org int);
CREATE INDEX docs_tags_idx ON c.docs (tags);
CREATE INDEX docs_org_doc_idx ON c.docs (org, doc);
CREATE UNIQUE INDEX docs_doc_uq ON c.docs (doc);          -- uniqueness on purpose: kept
CREATE INDEX docs_v_gin ON c.docs USING gin (v);          -- already GIN
CREATE INDEX docs_tag1_idx ON c.docs ((tags[1]));         -- expression on an element: fine
"""


def test_btree_on_containers(conn, run_fix, by_name):
    found = by_name(hits(snapshot_after(conn, CONTAINERS), "IDX008"))
    assert set(found) == {"docs_tags_idx", "docs_org_doc_idx"}
    assert (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS docs_tags_gin_idx ON c.docs USING gin (tags);"
        in found["docs_tags_idx"].fix
    )
    assert "btree_gin" in found["docs_org_doc_idx"].fix
    run_fix(conn, found["docs_tags_idx"].fix)
    assert "docs_tags_idx" not in by_name(hits(snapshot_after(conn, "SELECT 1"), "IDX008"))


def test_two_btrees_on_one_array_column_share_one_gin(conn):
    """Both fixes want the same GIN index, by the same name: the first builds it, the second finds it (IF NOT
    EXISTS) and its guard sees a valid GIN on the column; both btrees go, one GIN stays (GitLab stopped here)."""
    snap = snapshot_after(
        conn,
        """CREATE SCHEMA c; CREATE TABLE c.docs (id bigint PRIMARY KEY, org bigint, tags text[]);
        CREATE INDEX docs_tags_a ON c.docs (tags); CREATE INDEX docs_tags_b ON c.docs (org, tags);""",
    )
    found = hits(snap, "IDX008")
    assert {f.obj.name for f in found} == {"docs_tags_a", "docs_tags_b"}
    for f in found:
        run_fix(conn, f.fix)
    left = conn.execute(
        "SELECT c.relname, am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'c.docs'::regclass AND NOT i.indisprimary"
    ).fetchall()
    assert left == [("docs_tags_gin_idx", "gin")]
