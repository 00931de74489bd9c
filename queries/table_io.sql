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
WHERE s.relid IN (  -- a table or index read at all (blocks read + hit = fetched): one statistics call per relation,
                    -- where the view's sums take three per index of every table
          SELECT c.oid FROM pg_class c WHERE c.relkind IN ('r', 'm', 'p') AND pg_stat_get_blocks_fetched(c.oid) > 0
          UNION ALL
          SELECT i.indrelid FROM pg_index i WHERE pg_stat_get_blocks_fetched(i.indexrelid) > 0)
  AND COALESCE(s.heap_blks_read, 0) + COALESCE(s.heap_blks_hit, 0)
    + COALESCE(s.idx_blks_read, 0) + COALESCE(s.idx_blks_hit, 0) > 0
ORDER BY s.schemaname, s.relname;
