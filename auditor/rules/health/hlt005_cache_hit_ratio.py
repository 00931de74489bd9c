"""HLT005: table or index reads served from disk more often than a working set that fits in memory allows."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import stats_window
from auditor.rules.registry import Hit, Obj, rule, threshold

CACHE_HIT_RATIO = threshold("cache_hit_ratio", 0.99, "share of blocks found in shared buffers under which HLT005 fires")
CACHE_MIN_BLOCKS = threshold(
    "cache_min_blocks", 100_000, "blocks read (hit or not) under which the hit ratio means nothing yet"
)


@rule("HLT005", "cache-hit-ratio", severity="low", subject="database", requires=("tables", "table_io"))
def cache_hit_ratio(snap: Snapshot) -> Iterator[Hit]:
    """Table or index cache hit ratio below 99 %.

    ## Why it matters
    A block found in shared buffers costs a memory read; one that is not costs a system call and, when
    the kernel's cache misses too, a disk read. An OLTP database whose tables or indexes are read from
    outside shared buffers more than one time in a hundred has a working set larger than its memory
    (or `shared_buffers` set too low), and its latency follows the disk.

    ## What it checks
    The share of heap blocks, and of index blocks, of the application's tables found in shared
    buffers (`pg_statio_user_tables`), since the statistics were reset, against `cache-hit-ratio`
    (99 %, pghero's threshold). Not evaluated while the statistics are younger than
    `index-stats-min-days` (7) or have counted fewer than `cache-min-blocks` (100,000) blocks. The
    evidence names the tables that read most blocks from outside shared buffers.

    ## Bad (not run: it takes days of a workload larger than memory)
    ```sql
    -- shared_buffers = 128MB (the default) in front of 50 GB of hot data
    ```

    ## Good (not run: it needs days of statistics)
    ```sql
    -- shared_buffers sized to about a quarter of the server's memory, and the hot data fits
    ```

    ## Fix
    ```sql
    ALTER SYSTEM SET shared_buffers = '8GB';  -- takes effect at the next restart
    ```
    No fix SQL is printed: the right size depends on the server's memory, and a restart is needed.
    Before adding memory, look at the tables named in the evidence: an unused index (IDX005), a
    missing one (IDX006) or bloat (IDX007, HLT001) often explains the reads.

    ## False positives
    A reporting or batch database that scans more data than fits in memory by design.
    """
    stats_window(snap)  # Skip (not evaluated) while the counters are too young
    totals = {"table": [0, 0], "index": [0, 0]}
    misses: list[tuple[int, str]] = []
    user = {t.oid: t for t in snap.user_tables}
    for io in snap.table_io:
        t = user.get(io.table_oid)
        if t is None:
            continue
        totals["table"][0] += io.heap_hit
        totals["table"][1] += io.heap_read
        totals["index"][0] += io.idx_hit
        totals["index"][1] += io.idx_read
        misses.append((io.heap_read + io.idx_read, t.qualified))
    worst = [name for read, name in sorted(misses, key=lambda m: (-m[0], m[1]))[:5] if read]
    for kind, (hit, read) in totals.items():
        if hit + read < CACHE_MIN_BLOCKS(snap):
            continue
        ratio = hit / (hit + read)
        if ratio >= CACHE_HIT_RATIO(snap):
            continue
        yield Hit(
            obj=Obj("database", name=snap.server.database),
            message=(
                f"{kind} cache hit ratio {ratio:.1%}, under {CACHE_HIT_RATIO(snap):.0%}: "
                f"{read} blocks read from outside shared buffers"
            ),
            evidence={"hit": hit, "read": read, "ratio": round(ratio, 4), "most_read": worst},
            members=(kind,),
        )
