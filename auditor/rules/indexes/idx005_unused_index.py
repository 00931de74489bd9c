"""IDX005: an index the usage counters say nobody scans, judged only over a long enough statistics window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.indexes._shared import (
    INDEX_MIN_BYTES,
    drop_index_sql,
    droppable,
    family,
    family_usage,
    index_bytes,
    parse_time,
    recreate_sql,
    sole_fk_cover,
    stats_window,
    table_stats,
    user_indexes,
)
from auditor.rules.registry import Hit, rule, threshold

UNUSED_INDEX_DAYS = threshold(
    "unused_index_days", 35, "PostgreSQL 16+: an index whose last scan is older than this many days counts as unused"
)


@rule(
    "IDX005",
    "unused-index",
    severity="low",
    subject="index",
    requires=("indexes", "index_usage"),
    population="indexes",
)
def unused_index(snap: Snapshot) -> Iterator[Hit]:
    """Index never scanned since the usage statistics were reset.

    ## Why it matters
    An index nobody reads still costs on every write (and stops HOT updates when its columns
    change), takes disk, cache, backup and replication bandwidth, and lengthens every VACUUM.

    ## What it checks
    `pg_stat_user_indexes.idx_scan` is 0 for the index and, for a partitioned index, for every
    partition's copy; on PostgreSQL 16+ an index whose `last_idx_scan` is older than
    `unused-index-days` (35) also counts. Indexes that back a primary key, unique or exclusion
    constraint, unique indexes (they enforce something even unread), the only index serving a
    foreign key's lookups (IDX001 would fire), invalid indexes (IDX004) and indexes under
    `index-min-bytes` (1 MB) are left out. The finding gives the size and the statistics' age, and
    is medium from 100 MB; with statistics younger than `index-stats-min-days` (7) the rule is *not
    evaluated*.

    ## Bad (not run: it needs index usage counters gathered over at least 7 days)
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, legacy_ref text, created_at timestamptz NOT NULL);
    CREATE INDEX orders_legacy_ref_idx ON orders (legacy_ref);
    -- months later, with the index over 1 MB:
    SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'orders_legacy_ref_idx';  -- 0
    ```

    ## Good (not run: it needs index usage counters gathered over at least 7 days)
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, legacy_ref text, created_at timestamptz NOT NULL);
    -- no index on legacy_ref: nothing looks orders up by it
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY orders_legacy_ref_idx;
    ```
    The finding's fix also carries the statement that recreates it.

    ## False positives
    Counters are per server: an index unused on the primary may serve queries on a replica, and a
    monthly report may need it once a month. Counters start at zero after a `pg_restore`, a
    failover, a crash or `pg_stat_reset()`. Look at the replicas and the calendar before dropping.
    To keep such an index, ignore the rule (`--ignore IDX005`, `ignore = ["IDX005"]`) or tag it:
    ```sql
    COMMENT ON INDEX orders_legacy_ref_idx IS 'pg-auditor: ignore IDX005 -- read by the replica''s reports';
    ```
    """
    window = stats_window(snap)
    children = snap.attached_indexes_of
    collected = parse_time(snap.server.collected_at) or dt.datetime.now(dt.UTC)
    max_days = UNUSED_INDEX_DAYS(snap)
    min_bytes = INDEX_MIN_BYTES(snap)
    for t, i in user_indexes(snap):
        if not droppable(i):
            continue
        members = family(i, children)
        usage = family_usage(snap, members)
        if not usage:
            continue  # no counters for it (a partitioned index without partitions, or unreadable)
        size = index_bytes(snap, members)
        if size < min_bytes:
            continue
        scans = sum(u.idx_scan for u in usage)
        last = max((u.last_idx_scan for u in usage if u.last_idx_scan), default=None)
        last_at = parse_time(last)
        idle_days = (collected - last_at).total_seconds() / 86400 if last_at else None
        if scans and (idle_days is None or idle_days < max_days):
            continue
        fks = sole_fk_cover(snap, t, i)
        if fks:
            continue
        evidence: dict[str, Any] = {"definition": i.definition, "size": human_bytes(size), "idx_scan": scans}
        if last:
            evidence["last_idx_scan"] = last
        evidence |= window.evidence()
        tstats = table_stats(snap, t)
        if tstats:
            evidence["table_seq_scan"] = sum(s.seq_scan for s in tstats)
            evidence["table_idx_scan"] = sum(s.idx_scan or 0 for s in tstats)
            evidence["table_writes"] = sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del for s in tstats)
        if snap.server.in_recovery:
            evidence["note"] = "collected on a standby: these counters say nothing about the primary"
        if scans:
            message = f"index {i.name} ({human_bytes(size)}) was last scanned {idle_days:.0f} days ago"
        else:
            span = f"{window.days:.0f} days" if window.days >= 1 else "less than a day"
            message = f"index {i.name} ({human_bytes(size)}) has not been scanned in {span} of statistics"
        yield Hit(
            obj=index_obj(t, i),
            message=message,
            evidence=evidence,
            fix=f"{drop_index_sql(snap, t, i)}\n-- undo: {sql_comment(recreate_sql(i))}",
            severity="medium" if size >= 100 * 1024 * 1024 else None,
        )
