-- Index scan counters; last_idx_scan exists from PostgreSQL 16 on.
-- Each column named is a statistics function call per index (to_jsonb of the row would call them all).
WITH relation_order AS (
    -- each table's place in (schema, name) order: the rows sort on it, an integer, not on the names (see columns.sql)
    SELECT c.oid, row_number() OVER (ORDER BY n.nspname, c.relname) AS ord
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm', 't')
)
SELECT
    s.indexrelid::bigint AS index_oid,
    s.idx_scan::bigint AS idx_scan,
    s.idx_tup_read::bigint AS idx_tup_read,
    NULL::timestamptz AS last_idx_scan  -- before PG16
    s.last_idx_scan AS last_idx_scan  -- PG16+
FROM pg_stat_user_indexes s
LEFT JOIN relation_order rk ON rk.oid = s.relid
ORDER BY rk.ord, s.indexrelname;  -- = s.schemaname, s.relname, s.indexrelname
