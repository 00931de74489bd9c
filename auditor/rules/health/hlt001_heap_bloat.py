"""HLT001: a table (heap) much larger than its live rows need, estimated from catalog statistics."""

from __future__ import annotations

import math
from collections.abc import Iterator

from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table, TableWidth
from auditor.rules.common import block_size, human_bytes, table_obj
from auditor.rules.health._shared import is_off
from auditor.rules.registry import Hit, rule, threshold

HEAP_BLOAT_MIN_BYTES = threshold("heap_bloat_min_bytes", 5 * 1024 * 1024, "estimated wasted bytes of a table to report")
HEAP_BLOAT_MIN_PERCENT = threshold("heap_bloat_min_percent", 30, "estimated wasted share of a table worth a finding")
HEAP_BLOAT_HIGH_BYTES = threshold("heap_bloat_high_bytes", 1024**3, "wasted bytes from which HLT001 is medium")
MAXALIGN = 8
PAGE_HEADER = 24
TUPLE_HEADER = 23
LINE_POINTER = 4


def expected_pages(t: Table, st: TableWidth | None, bs: int) -> int | None:
    """Pages the table's live rows would fill, freshly written at its fillfactor (the estimate of pghero,
    check_postgres and ioguix): rows x (line pointer + aligned header with its null bitmap + aligned average
    data width from pg_stats). None without statistics for every column."""
    if st is None or not st.columns or st.stat_columns < st.columns or t.reltuples < 0:
        return None
    header = TUPLE_HEADER + ((st.columns + 7) // 8 if st.max_null_frac > 0 else 0)
    header = math.ceil(header / MAXALIGN) * MAXALIGN
    data = math.ceil(st.data_width / MAXALIGN) * MAXALIGN
    fillfactor = int(t.option("fillfactor") or 100)
    per_page = math.floor((bs - PAGE_HEADER) * fillfactor / 100 / (LINE_POINTER + header + data))
    if per_page < 1:
        return None
    return math.ceil(t.reltuples / per_page)


@rule("HLT001", "heap-bloat", severity="low", subject="table", requires=("tables", "table_stats"), population="tables")
def heap_bloat(snap: Snapshot) -> Iterator[Hit]:
    """Table much larger than its live rows need (estimated heap bloat).

    ## Why it matters
    An UPDATE or DELETE leaves the old row version behind; VACUUM makes its space reusable, and only
    a rewrite gives it back to the disk. A table that held many more rows than it does now, or whose
    vacuum fell behind, is read page by page at its old size: sequential scans, caches, backups and
    replicas all pay for the empty space.

    ## What it checks
    Per table, from the catalog alone (no pgstattuple, no scan): the pages its rows would fill, from
    `reltuples`, the average width and NULL fraction of every column in `pg_stats`, the tuple and
    page overheads and the fillfactor (the estimate pghero and check_postgres use), compared with
    `relpages`; and the dead rows the statistics count (`n_dead_tup`) as a share of all rows, which
    catches a mass DELETE before the next ANALYZE. The larger of the two is the waste. A finding
    needs `heap-bloat-min-bytes` (5 MB) and `heap-bloat-min-percent` (30 %) of waste, and is medium
    from `heap-bloat-high-bytes` (1 GB). The evidence carries the dead and live rows, the last
    (auto)vacuum and whether autovacuum is disabled on the table. Tables without statistics for
    every column (or a role that may not read `pg_stats`) are judged by their dead rows only.

    ## Bad
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
    INSERT INTO events SELECT g, repeat('x', 80) FROM generate_series(1, 200000) g;
    DELETE FROM events WHERE id % 10 <> 0;
    ANALYZE events;
    ```

    ## Good
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload text);
    INSERT INTO events SELECT g, repeat('x', 80) FROM generate_series(1, 200000) g;
    ANALYZE events;
    ```

    ## Fix
    ```sql
    VACUUM (ANALYZE) events;
    -- the file keeps its size; to give the space back, rewrite the table in a maintenance window:
    -- VACUUM (FULL, ANALYZE) events;  (ACCESS EXCLUSIVE for the rewrite), or pg_repack --table events
    ```
    VACUUM runs beside reads and writes and makes the space reusable by new rows; the rewrite is
    printed as a comment because it blocks the table for as long as it takes.

    ## False positives
    A table that is about to grow back into its space (a queue drained in bursts) is bloated only
    between bursts. The estimate is rough for tables with wide variable-length columns stored out of
    line (TOAST) and right after a bulk load; run ANALYZE first.
    """
    bs = block_size(snap)
    for t in sorted(snap.user_tables, key=lambda t: (t.schema, t.name)):
        st = snap.stats_of.get(t.oid)
        if t.kind != "r" or st is None or not t.relpages:
            continue
        size = t.relpages * bs
        # the widths are optional: a role that may not read pg_stats is judged by the dead rows alone
        widths = snap.width_of.get(t.oid) if snap.available("table_widths") else None
        expected = expected_pages(t, widths, bs)
        estimated = max(t.relpages - expected, 0) * bs if expected is not None else 0
        rows = st.n_live_tup + st.n_dead_tup
        dead_share = st.n_dead_tup / rows if rows else 0.0
        wasted = max(estimated, int(dead_share * size))
        share = wasted / size
        if wasted < HEAP_BLOAT_MIN_BYTES(snap) or share * 100 < HEAP_BLOAT_MIN_PERCENT(snap):
            continue
        autovacuum_off = is_off(t.option("autovacuum_enabled"))
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{t.qualified} wastes about {human_bytes(wasted)} of {human_bytes(size)} ({share:.0%}): "
                f"{st.n_dead_tup} dead rows beside {st.n_live_tup} live"
                + (", autovacuum disabled on it" if autovacuum_off else "")
            ),
            evidence={
                "table_bytes": size,
                "wasted_bytes": wasted,
                "estimated_from_pg_stats": estimated if expected is not None else None,
                "dead_rows": st.n_dead_tup,
                "live_rows": st.n_live_tup,
                "last_vacuum": st.last_vacuum,
                "last_autovacuum": st.last_autovacuum,
                "autovacuum_disabled": autovacuum_off,
            },
            severity="medium" if wasted >= HEAP_BLOAT_HIGH_BYTES(snap) else None,
            fix=(
                f"VACUUM (ANALYZE) {t.qualified};\n"
                "-- the file keeps its size; to give the space back, rewrite the table in a maintenance window:\n"
                f"-- VACUUM (FULL, ANALYZE) {sql_comment(t.qualified)};  (ACCESS EXCLUSIVE for the rewrite), "
                f"or pg_repack --table {sql_comment(t.qualified)}"
            ),
        )
