-- Index scan counters; last_idx_scan exists from PostgreSQL 16 on.
-- Each column named is a statistics function call per index (to_jsonb of the row would call them all).
SELECT
    s.indexrelid::bigint AS index_oid,
    s.idx_scan::bigint AS idx_scan,
    s.idx_tup_read::bigint AS idx_tup_read,
    NULL::timestamptz AS last_idx_scan  -- before PG16
    s.last_idx_scan AS last_idx_scan  -- PG16+
FROM pg_stat_user_indexes s
ORDER BY s.schemaname, s.relname, s.indexrelname;
