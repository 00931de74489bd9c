-- Planner statistics (pg_stats) per table, summed over its columns: the inputs of the heap bloat estimate
-- (the one pghero and check_postgres use): the average row's data width, whether any column holds NULLs,
-- and how many of the table's columns have statistics. Its own section, like index_stats: a database that
-- revokes pg_stats from PUBLIC loses this estimate only. Catalog only, no table scan.
SELECT
    c.oid::bigint AS table_oid,
    (SELECT count(*)::int FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
        AS columns,
    count(s.avg_width)::int AS stat_columns,
    COALESCE(sum((1 - s.null_frac) * s.avg_width), 0)::float8 AS data_width,
    COALESCE(max(s.null_frac), 0)::float8 AS max_null_frac
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited
WHERE c.relkind IN ('r', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
GROUP BY c.oid, n.nspname, c.relname
ORDER BY n.nspname, c.relname;
