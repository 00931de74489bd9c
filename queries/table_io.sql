-- Blocks each table and its indexes read from shared buffers (hit) and from the kernel or disk (read),
-- since the statistics were reset: the inputs of pghero's table and index cache hit rates. Its own
-- section: a database that revokes pg_statio_* from PUBLIC loses the hit rates only.
SELECT
    s.relid::bigint AS table_oid,
    COALESCE(s.heap_blks_read, 0)::bigint AS heap_read,
    COALESCE(s.heap_blks_hit, 0)::bigint AS heap_hit,
    COALESCE(s.idx_blks_read, 0)::bigint AS idx_read,
    COALESCE(s.idx_blks_hit, 0)::bigint AS idx_hit
FROM pg_statio_user_tables s
WHERE COALESCE(s.heap_blks_read, 0) + COALESCE(s.heap_blks_hit, 0)
    + COALESCE(s.idx_blks_read, 0) + COALESCE(s.idx_blks_hit, 0) > 0
ORDER BY s.schemaname, s.relname;
