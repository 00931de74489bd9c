"""ISO023 unclassified-table, row-history tables above all."""

from __future__ import annotations

from support import hits, snapshot_after


def two_tenant_tables(schema: str) -> str:
    """A schema whose tenant model is clear (org_id on two tables), for tables it cannot classify."""
    return f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.orgs (id int PRIMARY KEY);
        CREATE TABLE {schema}.a (id int, org_id int NOT NULL REFERENCES {schema}.orgs);
        CREATE TABLE {schema}.b (id int, org_id int NOT NULL REFERENCES {schema}.orgs);
        """


def test_iso023_unclassified(conn, tables):
    versions = "CREATE TABLE u.versions (id int, item_type text, item_id int);"
    snap = snapshot_after(conn, two_tenant_tables("u") + versions)
    assert tables(hits(snap, "ISO023")) == {"versions"}
    assert hits(snap, "ISO023")[0].severity == "info"  # a polymorphic reference alone: no copy of the row
    snap.settings = {"table_classes": {"u.versions": "reference"}}
    assert not hits(snap, "ISO023")


def test_iso023_row_history_tables_are_medium(conn):
    """paper_trail, audited and django-reversion keep copies of every tenant's rows in one table."""
    snap = snapshot_after(
        conn,
        two_tenant_tables("h")
        + """
        CREATE TABLE h.versions (id bigint, item_type text, item_id bigint, event text, object jsonb);
        CREATE TABLE h.audits (id bigint, auditable_type text, auditable_id bigint, audited_changes jsonb);
        CREATE TABLE h.reversion_version (id int, content_type_id int, object_id text, serialized_data text);
        CREATE TABLE h.change_log (id int, item_type text, item_id bigint, note text);
        """,
    )
    found = {h.obj.table or h.obj.name: h for h in hits(snap, "ISO023")}
    assert set(found) == {"versions", "audits", "reversion_version", "change_log"}
    assert {t for t, h in found.items() if h.severity == "medium"} == {"versions", "audits", "reversion_version"}
    assert found["versions"].evidence["row_history"] == "paper_trail"
    assert found["audits"].evidence["row_history"] == "audited"
    assert "copies of rows of every tenant" in found["reversion_version"].message
    assert found["change_log"].severity == "info"  # no copy of the row: not a row-history table
