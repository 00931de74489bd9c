-- Index scan counters. PostgreSQL 13-15 have no last_idx_scan (index_usage_16.sql reads it): NULL here.
-- The view's columns are named one by one: each is a statistics function call per index.
SELECT
    s.indexrelid::bigint AS index_oid,
    s.idx_scan::bigint AS idx_scan,
    s.idx_tup_read::bigint AS idx_tup_read,
    NULL::timestamptz AS last_idx_scan
FROM pg_stat_user_indexes s
ORDER BY s.schemaname, s.relname, s.indexrelname;
