"""NOT NULL by a validated CHECK reads as NOT NULL; a NOT VALID one and other CHECKs do not."""

from __future__ import annotations

import psycopg

from auditor.analysis.notnull import is_not_null, not_null_columns, pending_check_not_null

from support import snapshot_after


def test_check_definitions() -> None:
    assert not_null_columns("CHECK ((project_id IS NOT NULL))") == ["project_id"]
    assert not_null_columns('CHECK ((a IS NOT NULL) AND ("B c" IS NOT NULL))') == ["a", "B c"]
    assert not_null_columns("CHECK ((a IS NOT NULL) OR (b IS NOT NULL))") is None
    assert not_null_columns("CHECK ((num_nonnulls(a, b) = 1))") is None
    assert not_null_columns("CHECK (((a IS NOT NULL) AND (b > 0)))") is None


def test_is_not_null(conn: psycopg.Connection) -> None:
    snap = snapshot_after(
        conn,
        """
        CREATE TABLE n (a int NOT NULL, b int, c int, d int, CONSTRAINT cb CHECK (b IS NOT NULL));
        ALTER TABLE n ADD CONSTRAINT cc CHECK (c IS NOT NULL) NOT VALID;
        """,
    )
    t = snap.table_by_name[("public", "n")]
    assert [is_not_null(snap, t.oid, c) for c in "abcd"] == [True, True, False, False]
    assert set(pending_check_not_null(snap, t.oid)) == {"c"}
