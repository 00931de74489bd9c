-- Planner statistics for low-cardinality or skewed columns (pg_stats shows only columns this role may read).
SELECT
    s.schemaname::text AS schema,
    s.tablename::text AS table,
    s.attname::text AS column,
    s.null_frac::float8 AS null_frac,
    s.n_distinct::float8 AS n_distinct,
    CASE WHEN s.n_distinct BETWEEN 1 AND 100
         THEN (s.most_common_vals::text::text[])[1:20] END AS common_values,
    (s.most_common_freqs)[1]::float8 AS top_frequency
FROM pg_stats s
WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
  AND (NOT s.inherited OR EXISTS (  -- a partitioned table's own statistics are its inherited ones
      SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = s.schemaname AND c.relname = s.tablename AND c.relkind = 'p'))
  AND (s.n_distinct BETWEEN 1 AND 100 OR (s.most_common_freqs)[1] >= 0.3)
ORDER BY 1, 2, 3;
