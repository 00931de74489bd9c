-- Index scan counters, with the time of the last scan (PostgreSQL 16 on).
-- The view's columns are named one by one: each is a statistics function call per index.
SELECT
    s.indexrelid::bigint AS index_oid,
    s.idx_scan::bigint AS idx_scan,
    s.idx_tup_read::bigint AS idx_tup_read,
    s.last_idx_scan AS last_idx_scan
FROM pg_stat_user_indexes s
ORDER BY s.schemaname, s.relname, s.indexrelname;
