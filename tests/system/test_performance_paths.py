"""The fast paths keep the slow paths' results: sizes from relpages, rows built by the row factory,
the streamed snapshot file, the regex strip_controls, and a generated catalog the audit can read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from auditor.catalog import snapshot_file
from auditor.output.text import strip_controls
from bench.generate import Size, batches

from support import snapshot_after

INVISIBLE = {0x00AD, 0x061C, 0x180E, 0xFEFF} | set(range(0x7F, 0xA0)) | set(range(0x200B, 0x2010))
INVISIBLE |= set(range(0x2028, 0x202F)) | set(range(0x2060, 0x206A))


def slow_strip_controls(text: str) -> str:
    """A character loop over the documented set (controls, invisible formatting, bidi), as the reference."""
    out = []
    for ch in text:
        cp = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif cp < 32 or cp in INVISIBLE:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(ch)
    return "".join(out)


def test_strip_controls_matches_the_character_loop() -> None:
    text = "".join(chr(cp) for cp in range(0, 0x10000)) + "plain 'text' | é"
    assert strip_controls(text) == slow_strip_controls(text)
    assert strip_controls("a\u202eb\x00") == "a\\u202eb\\u0000"
    for cp in [*range(0, 0x10000), 0x1F600, 0xE0001, 0x10FFFF]:  # one at a time: the printable shortcut
        assert strip_controls(f"a{chr(cp)}b") == slow_strip_controls(f"a{chr(cp)}b"), hex(cp)


def test_rows_and_sizes_without_opening_relations(conn: psycopg.Connection, tmp_path: Path) -> None:
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA perf;
        CREATE TABLE perf.t (id bigint PRIMARY KEY, v text, at timestamptz DEFAULT now());
        INSERT INTO perf.t SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g;
        CREATE INDEX t_v_idx ON perf.t (lower(v)) INCLUDE (at);
        COMMENT ON TABLE perf.t IS 'perf table';
        COMMENT ON COLUMN perf.t.v IS 'perf column';
        ANALYZE perf.t;
        """,
    )
    table = snap.table_by_name[("perf", "t")]
    pages = conn.execute("SELECT relpages FROM pg_class WHERE oid = 'perf.t'::regclass").fetchone()[0]
    block = int(conn.execute("SELECT current_setting('block_size')").fetchone()[0])
    assert pages > 0 and table.table_bytes == pages * block
    index_pages = conn.execute(
        "SELECT sum(c.relpages) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'perf.t'::regclass"
    ).fetchone()[0]
    assert table.total_bytes is not None and table.total_bytes >= (pages + index_pages) * block
    assert table.comment == "perf table"
    assert snap.column_by_name[(table.oid, "v")].comment == "perf column"
    idx = next(i for i in snap.indexes_of[table.oid] if i.name == "t_v_idx")
    assert idx.columns == [None] and idx.keys == ["lower(v)"] and idx.include_columns == ["at"]
    assert idx.bytes == idx.relpages * block
    # timestamps arrive as ISO strings (plain()), everything else as loaded
    assert isinstance(snap.server.collected_at, str)
    stats = snap.stats_of[table.oid]
    assert stats.last_analyze is None or dt.datetime.fromisoformat(stats.last_analyze)
    # the streamed file loads back to the same snapshot
    path = tmp_path / "snap.json"
    snapshot_file.save(snap, path)
    assert snapshot_file.to_dict(snapshot_file.load(path)) == snapshot_file.to_dict(snap)


def test_generated_catalog_is_read_whole(conn: psycopg.Connection) -> None:
    """A tiny catalog from the benchmark generator: every table and policy comes back."""
    size = Size("T", tables=30, partitions=4, partitions_per_parent=2, partman_sets=0, partman_parts=0)
    ddl = "\n".join(sql for _, sql in batches(size, None))
    snap = snapshot_after(conn, ddl)
    mine = [t for t in snap.tables if t.schema in ("app_000", "events")]
    # 24 plain (tenants + 23), 2 parents with 2 monthly partitions each, and a DEFAULT partition on the first
    assert len(mine) == 31
    assert sum(1 for t in mine if t.is_partition) == 5
    assert any(p.table_oid in {t.oid for t in mine} for p in snap.policies)
