-- Index scan counters; last_idx_scan exists from PostgreSQL 16 on and is read version-agnostically.
SELECT
    s.indexrelid::bigint AS index_oid,
    s.idx_scan::bigint AS idx_scan,
    s.idx_tup_read::bigint AS idx_tup_read,
    (to_jsonb(s) ->> 'last_idx_scan')::timestamptz AS last_idx_scan
FROM pg_stat_user_indexes s
ORDER BY s.schemaname, s.relname, s.indexrelname;
