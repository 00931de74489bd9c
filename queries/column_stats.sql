-- Planner statistics for low-cardinality or skewed columns, and numeric columns where a negative value
-- was seen (pg_stats shows only columns this role may read).
SELECT
    s.schemaname::text AS schema,
    s.tablename::text AS table,
    s.attname::text AS column,
    s.null_frac::float8 AS null_frac,
    s.n_distinct::float8 AS n_distinct,
    CASE WHEN s.n_distinct BETWEEN 1 AND 100
         THEN (s.most_common_vals::text::text[])[1:20] END AS common_values,
    (s.most_common_freqs)[1]::float8 AS top_frequency,
    sign.negative_seen
FROM pg_stats s
CROSS JOIN LATERAL (  -- for a numeric column: does a common value or the histogram's lowest bound go below 0?
    SELECT CASE WHEN EXISTS (
        SELECT 1
        FROM pg_namespace n
        JOIN pg_class c ON c.relnamespace = n.oid
        JOIN pg_attribute a ON a.attrelid = c.oid
        JOIN pg_type ty ON ty.oid = a.atttypid
        WHERE n.nspname = s.schemaname AND c.relname = s.tablename AND a.attname = s.attname
          AND COALESCE(NULLIF(ty.typbasetype, 0), ty.oid)
              IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype, 'float4'::regtype,
                  'float8'::regtype))
    THEN EXISTS (
        SELECT 1
        FROM unnest(COALESCE(s.most_common_vals::text::text[], '{}')
                    || COALESCE((s.histogram_bounds::text::text[])[1:1], '{}')) v
        WHERE v LIKE '-%' AND v <> '-0')
    END AS negative_seen
) sign
WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
  AND (NOT s.inherited OR EXISTS (  -- a partitioned table's own statistics are its inherited ones
      SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = s.schemaname AND c.relname = s.tablename AND c.relkind = 'p'))
  AND (s.n_distinct BETWEEN 1 AND 100 OR (s.most_common_freqs)[1] >= 0.3 OR sign.negative_seen)
ORDER BY 1, 2, 3;
