"""IDX007: btree bloat, estimated from planner statistics alone (no pgstattuple, no scan of the index)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.base.names import qualified
from auditor.catalog.model import Index, IndexStats, Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.indexes._shared import NO_STATS, block_size, family, user_indexes
from auditor.rules.registry import Hit, Skip, rule, threshold

INDEX_BLOAT_MIN_BYTES = threshold("index_bloat_min_bytes", 50 * 1024 * 1024, "estimated wasted bytes worth a rebuild")
INDEX_BLOAT_MIN_PERCENT = threshold("index_bloat_min_percent", 30, "estimated wasted share of an index worth a rebuild")


BLOAT_METHOD = (
    "btree size estimate from planner statistics (pg_stats avg_width and null_frac, reltuples, fillfactor; "
    "the ioguardian/pgexperts method), compared with relpages; no pgstattuple, no scan"
)


@dataclass
class BloatEstimate:
    real_pages: int
    expected_pages: int

    @property
    def wasted_pages(self) -> int:
        return max(self.real_pages - self.expected_pages, 0)


def estimate_btree(i: Index, st: IndexStats, bs: int, maxalign: int) -> BloatEstimate | None:
    """Pages a freshly built btree of this many tuples and this width would take, against what it takes."""
    if i.method != "btree" or i.relpages < 10 or i.reltuples <= 0 or st.with_stats < st.attributes:
        return None
    header = 8 + (4 if st.max_null_frac > 0 else 0)  # IndexTupleData, plus the null bitmap when NULLs occur
    header += (maxalign - header % maxalign) % maxalign
    width = st.data_width
    width += (maxalign - math.ceil(width) % maxalign) % maxalign if width else 0
    fillfactor = st.fillfactor or 90
    per_page = math.floor((bs - 24 - 16) * fillfactor / 100 / (4 + header + width))  # page header, btree opaque
    if per_page < 1:
        return None
    return BloatEstimate(i.relpages, 1 + math.ceil(i.reltuples / per_page))


@rule(
    "IDX007",
    "index-bloat",
    severity="medium",
    subject="index",
    requires=("indexes", "index_stats"),
    population="indexes",
)
def index_bloat(snap: Snapshot) -> Iterator[Hit]:
    """Btree index much larger than its rows need (estimated bloat).

    ## Why it matters
    Deleted and updated rows leave btree pages half empty; VACUUM makes the space reusable for the
    same key range but never gives it back. A bloated index reads more pages per lookup, takes more
    cache and disk, and slows down every VACUUM and base backup. Rebuilding it reclaims the space.

    ## What it checks
    Without pgstattuple and without reading the index: the size a freshly built btree would take,
    from the index's `reltuples`, the average width and NULL fraction of each key in `pg_stats`,
    the tuple and page overheads and the fillfactor (default 90), compared with `relpages`. This is
    the ioguardian/pgexperts estimate; it is off for indexes on `name` columns and right after bulk
    loads, and needs fresh statistics (ANALYZE). Btree deduplication (PostgreSQL 13+) makes indexes
    on repeated values smaller than the estimate: their bloat is under-estimated, never over.
    Indexes without statistics for every key are not estimated. A finding needs
    `index-bloat-min-bytes` (50 MB) and `index-bloat-min-percent` (30 %) of waste, and is high from
    1 GB of waste; a partitioned index sums its partitions' copies and names the worst ones. When no
    btree can be estimated (no statistics) while some have ten pages or more, the rule is *not
    evaluated*.

    ## Bad
    ```sql
    CREATE TABLE sessions (token text PRIMARY KEY, user_id bigint NOT NULL, expires_at timestamptz NOT NULL);
    INSERT INTO sessions
    SELECT repeat(md5(g::text), 6), g % 5000, now() + (g % 10 - 9) * interval '1 day'
    FROM generate_series(1, 200000) g;
    DELETE FROM sessions WHERE expires_at < now();   -- the purge of expired sessions: 9 in 10 rows
    ANALYZE sessions;
    ```

    ## Good
    ```sql
    CREATE TABLE sessions (token text PRIMARY KEY, user_id bigint NOT NULL, expires_at timestamptz NOT NULL);
    INSERT INTO sessions
    SELECT repeat(md5(g::text), 6), g % 5000, now() + interval '1 day'
    FROM generate_series(1, 20000) g;
    ANALYZE sessions;
    ```

    ## Fix
    ```sql
    REINDEX INDEX CONCURRENTLY sessions_pkey;
    ```
    `REINDEX CONCURRENTLY` needs free disk for a second copy of the index while it runs.

    ## False positives
    The estimate can be wrong where said above; before a rebuild, `pgstatindex()` from pgstattuple
    measures the index (`avg_leaf_density`). A table that soon grows back to its old size (a queue, a
    table purged and reloaded daily) reuses much of the free space, so a rebuild buys little there.
    Ignore the rule (`--ignore IDX007`, `ignore = ["IDX007"]`) or tag the index:
    ```sql
    COMMENT ON INDEX sessions_pkey IS 'pg-auditor: ignore IDX007 -- refills every morning';
    ```
    """
    bs = block_size(snap)
    maxalign = 8 if re.search(r"64-bit|x86_64|aarch64|amd64|ppc64", snap.server.version) else 4
    min_bytes, min_pct = INDEX_BLOAT_MIN_BYTES(snap), INDEX_BLOAT_MIN_PERCENT(snap)
    children = snap.attached_indexes_of
    estimated = 0
    for t, i in user_indexes(snap):
        leaves = [m for m in family(i, children) if not m.is_partitioned]
        found: list[tuple[Index, BloatEstimate]] = []
        for leaf in leaves:
            st = snap.index_stats_of.get(leaf.oid)
            est = estimate_btree(leaf, st, bs, maxalign) if st else None
            if est is not None:
                found.append((leaf, est))
        estimated += len(found)
        real = sum(e.real_pages for _, e in found) * bs
        wasted = sum(e.wasted_pages for _, e in found) * bs
        if not real or wasted < min_bytes or 100 * wasted / real < min_pct:
            continue
        worst = sorted(found, key=lambda le: (-le[1].wasted_pages, le[0].name))
        bloated = [(leaf, e) for leaf, e in worst if e.wasted_pages * bs >= min_bytes / max(len(found), 1)]
        evidence: dict[str, Any] = {
            "method": BLOAT_METHOD,
            "size": human_bytes(real),
            "expected_size": human_bytes(real - wasted),
            "wasted": human_bytes(wasted),
            "wasted_percent": round(100 * wasted / real, 1),
            "estimated_rows": round(sum(leaf.reltuples for leaf, _ in found)),
        }
        if i.is_partitioned:
            evidence["worst_partitions"] = [
                {"index": leaf.name, "wasted": human_bytes(e.wasted_pages * bs)} for leaf, e in worst[:5]
            ]
        schema_of = {m.oid: snap.table_by_oid[m.table_oid].schema for m in leaves if m.table_oid in snap.table_by_oid}
        fix = "\n".join(
            f"REINDEX INDEX CONCURRENTLY {qualified(schema_of.get(leaf.oid, t.schema), leaf.name)};"
            for leaf, _ in (bloated or worst[:1])
        )
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"index {i.name} is ~{100 * wasted / real:.0f}% bloat by estimate: {human_bytes(real)} where "
                f"~{human_bytes(real - wasted)} would hold its rows"
            ),
            evidence=evidence,
            fix=fix + "\n-- needs free disk for a second copy of the index while it runs",
            severity="high" if wasted >= 1024**3 else None,
        )
    if not estimated and any(i.method == "btree" and i.relpages >= 10 for i in snap.indexes):
        raise Skip(NO_STATS, not_evaluated=True)
